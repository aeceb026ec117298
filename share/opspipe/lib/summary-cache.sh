# summary-cache.sh — the lookup side of the summary cache, sourced (not
# run) by opspipe-summary and by the CGI, which serves a fresh entry
# itself: one shell instead of two on the path every dashboard refresh
# takes. POSIX sh; sets variables rather than printing, so no subshell.
# shellcheck shell=sh

# trim QUERY: set q to QUERY without leading and trailing white space,
# which PromQL ignores: " up" and "up\n" are one query and one cache entry.
# Nothing inside is touched — white space in a label matcher's string
# matters, and a full PromQL normaliser would be a parser in shell. Other
# spellings stay other entries; the computation slots bound what they can
# cost (opspipe-summary(1)).
trim() {
	q=$1
	q=${q#"${q%%[![:space:]]*}"}
	q=${q%"${q##*[![:space:]]}"}
}

# cache_key MINUTES QUERY: set key to the entry's name, the SHA-256 of
# "MINUTES\nQUERY\n" (minutes first: it holds no newline, so the pair is
# unambiguous). MINUTES is a decimal integer without leading zeros and
# QUERY trimmed: callers normalise both.
cache_key() {
	key=$(sha256sum <<EOF
$1
$2
EOF
) || return 1
	key=${key%% *}
}

# cache_fresh FILE MAXAGE: set rec to FILE's record marked "cached":true
# when it is younger than MAXAGE seconds (a fallback for at most 60 s, so
# a recovered LLM is asked again soon). Returns 1 when there is nothing
# fresh, else 0 or 3 (a cached fallback). One process: find compares the
# times. An entry dated more than a minute ahead (a clock stepped back, a
# writer on a node whose clock is ahead) is not fresh: it would be for
# hours.
cache_fresh() {
	[ -f "$1" ] || return 1
	rec=""
	IFS= read -r rec <"$1" || [ -n "$rec" ] || return 1
	case $rec in
	'{'*'}') ;;
	*) return 1 ;;
	esac
	limit=$2
	case $rec in
	*',"fallback":true'*) [ "$limit" -gt 60 ] && limit=60 ;;
	esac
	[ -n "$(find "$1" -prune -newermt "-$limit seconds" ! -newermt "+60 seconds" 2>/dev/null)" ] || return 1
	rec=${rec%\}},'"cached":true}'
	case $rec in
	*',"fallback":true'*) return 3 ;;
	esac
	return 0
}
