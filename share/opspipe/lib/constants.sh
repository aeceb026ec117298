# constants.sh — the one source of opspipe's version and of the limits the
# C programs and the shell flows share. The Makefile reads it (VERSION, and
# -D for the C programs); the flow scripts and the CGI source it;
# test/t/constants.sh checks that programs, flows, help texts and man
# pages agree with it. Plain NAME=value lines: the Makefile reads them
# with sed.
# shellcheck shell=sh disable=SC2034 # read by the scripts that source it

# The release: every program's and flow's --version.
opspipe_version=0.1.0

# The largest N of --shard I/N and OPSPIPE_SHARDS (an Indexed Job's
# completions), in every program and flow.
opspipe_shard_max=1000000

# The longest window opspipe-summary and its CGI endpoint summarise, in
# minutes: a week.
opspipe_minutes_max=10080
