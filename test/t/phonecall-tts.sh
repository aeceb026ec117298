# Speech rendered offline with libespeak-ng: phonecall tts writes a WAV
# (English and French voices from espeak-ng-data), and --audio keeps a
# copy of what each call said for the incident archive.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/phonecall.sh"
d=$T_DIR

# wav FILE: "RATE CHANNELS BITS SECONDS" as Python's wave module reads it.
wav() {
	/usr/bin/python3 -c 'import sys, wave
w = wave.open(sys.argv[1])
print(w.getframerate(), w.getnchannels(), 8 * w.getsampwidth(), round(w.getnframes() / w.getframerate()))' "$1"
}

phonecall tts --speech "The database on db-1 is down since five o'clock." -o "$d/en.wav"
expect_eq "tts: exit 0" 0 "$?"
expect_match "tts: a 16-bit mono WAV of a few seconds" '^22050 1 16 [2-9]$' "$(wav "$d/en.wav")"
phonecall tts --speech "La base de données est en panne depuis cinq heures." --language fr-FR -o "$d/fr.wav"
expect_match "tts: French" '^22050 1 16 [2-9]$' "$(wav "$d/fr.wav")"
# the same words in another voice sound different
phonecall tts --speech "intervention" -o "$d/same-en.wav"
phonecall tts --speech "intervention" -L fr-FR -o "$d/same-fr.wav"
expect_eq "tts: the French voice is not the English one" 1 \
    "$(cmp -s "$d/same-en.wav" "$d/same-fr.wav"; echo "$?")"
phonecall tts --speech "<speak><break time=\"30s\"/></speak>" -o "$d/ssml.wav"
expect_match "tts: markup is read out, not obeyed (no 30 s pause)" '^22050 1 16 [0-9]$' "$(wav "$d/ssml.wav")"
phonecall tts --speech "hello" -o - >"$d/stdout.wav"
expect_match "tts: -o - writes to stdout" '^22050 1 16 [0-9]$' "$(wav "$d/stdout.wav")"
expect_status "tts: an unknown voice" 2 phonecall tts --speech x --voice no-such-voice -o "$d/x.wav"
ok_if "tts: nothing left behind on failure" [ ! -e "$d/x.wav" ]
expect_status "tts: needs -o" 2 phonecall tts --speech x
expect_status "tts: an unwritable file" 4 phonecall tts --speech x -o /nonexistent/dir/x.wav

# --audio DIR: each call's words, as the callee heard them.
start_twilio
callee +33600000001 '{"do":"press","digits":"1"}'
mkdir -p "$d/archive"
pc --to +33600000001 --speech "Disk full on db-1" --audio "$d/archive" >"$d/out" 2>"$d/err"
expect_eq "audio: the call went on" 0 "$?"
f=$(jq -r .audio "$d/out")
expect_match "audio: named by time and number" "^$d/archive/[0-9]{8}T[0-9]{6}Z-\\+33600000001-1\\.wav$" "$f"
expect_match "audio: a WAV" '^22050 1 16 [0-9]+$' "$(wav "$f")"
pc --to +33600000001 --speech "x" --audio "$d/missing" >"$d/out" 2>"$d/err"
expect_eq "audio: an unwritable archive is a write error, the call still made" '4 "completed"' \
    "$? $(jq -c .status "$d/out")"
done_testing
