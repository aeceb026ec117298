/* tts.c — speech rendered offline with libespeak-ng, as a WAV file:
 * what the original system's /tts endpoint did, and the incident
 * archive's copy of what each call said (--audio DIR).
 *
 * Text goes to espeak-ng as plain UTF-8 (not SSML), so markup in the
 * speech is read out, never obeyed. The file is written whole to a
 * temporary name and renamed, so a reader never sees half a WAV.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <espeak-ng/espeak_ng.h>

#include "msg.h"
#include "phonecall.h"

/* Collects the samples espeak-ng hands over. */
static int
collect(short *wav, int n, espeak_EVENT *events)
{
	struct buf *pcm = events->user_data;

	if (wav != NULL && n > 0)
		buf_add(pcm, wav, (size_t)n * sizeof *wav);
	return 0;	/* go on */
}

static void
le(struct buf *b, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		buf_addc(b, (char)(v >> (8 * i) & 0xff));
}

/* RIFF/WAVE, PCM, 16-bit, mono. */
static void
wav_header(struct buf *b, uint32_t rate, uint32_t data_len)
{
	buf_add(b, "RIFF", 4);
	le(b, 36 + data_len, 4);
	buf_add(b, "WAVEfmt ", 8);
	le(b, 16, 4);		/* fmt chunk size */
	le(b, 1, 2);		/* PCM */
	le(b, 1, 2);		/* channels */
	le(b, rate, 4);
	le(b, rate * 2, 4);	/* bytes per second */
	le(b, 2, 2);		/* block align */
	le(b, 16, 2);		/* bits per sample */
	buf_add(b, "data", 4);
	le(b, data_len, 4);
}

static const char *
status_text(espeak_ng_STATUS s, char *buf, size_t len)
{
	espeak_ng_GetStatusCodeMessage(s, buf, len);
	return buf;
}

/* The voice: --voice as named, else the language tag, then its first
 * part ("fr-FR" → "fr-fr", "fr"). */
static espeak_ng_STATUS
choose_voice(const char *language, const char *voice)
{
	espeak_VOICE want;
	char tag[64];
	espeak_ng_STATUS s;

	if (voice != NULL)
		return espeak_ng_SetVoiceByName(voice);
	snprintf(tag, sizeof tag, "%s", language);
	for (char *p = tag; *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	memset(&want, 0, sizeof want);
	want.languages = tag;
	if ((s = espeak_ng_SetVoiceByProperties(&want)) == ENS_OK)
		return s;
	tag[strcspn(tag, "-_")] = '\0';
	return espeak_ng_SetVoiceByProperties(&want);
}

static int
synthesize(const char *text, const char *language, const char *voice,
    struct buf *pcm, int *rate)
{
	espeak_ng_ERROR_CONTEXT ctx = NULL;
	espeak_ng_STATUS s;
	char why[256];

	espeak_ng_InitializePath(NULL);
	if ((s = espeak_ng_Initialize(&ctx)) != ENS_OK) {
		msg_warn("espeak-ng: %s", status_text(s, why, sizeof why));
		espeak_ng_ClearErrorContext(&ctx);
		return EXIT_LOCAL;
	}
	if ((s = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0,
	    NULL)) != ENS_OK) {
		msg_warn("espeak-ng: %s", status_text(s, why, sizeof why));
		goto fail;
	}
	espeak_SetSynthCallback(collect);
	if ((s = choose_voice(language, voice)) != ENS_OK) {
		msg_warn("espeak-ng has no voice for '%s'",
		    voice ? voice : language);
		espeak_ng_Terminate();
		return EXIT_USAGE;
	}
	*rate = espeak_ng_GetSampleRate();
	s = espeak_ng_Synthesize(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
	    espeakCHARS_UTF8, NULL, pcm);
	if (s == ENS_OK)
		s = espeak_ng_Synchronize();
	if (s != ENS_OK) {
		msg_warn("espeak-ng: %s", status_text(s, why, sizeof why));
		goto fail;
	}
	espeak_ng_Terminate();
	return 0;
fail:
	espeak_ng_Terminate();
	return EXIT_LOCAL;
}

/* Writes all of b to path through a temporary file, or to stdout. */
static int
publish(const char *path, const struct buf *b)
{
	char *tmp;
	int fd, rc = -1;

	if (strcmp(path, "-") == 0) {
		if (fwrite(b->p, 1, b->len, stdout) != b->len ||
		    fflush(stdout) != 0) {
			msg_warn("cannot write to stdout: %s", strerror(errno));
			return EXIT_LOCAL;
		}
		return 0;
	}
	tmp = xmalloc(strlen(path) + 32);
	sprintf(tmp, "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && write_all(fd, b->p, b->len) == 0 && fsync(fd) == 0 &&
	    close(fd) == 0) {
		fd = -1;
		rc = rename(tmp, path);
	}
	if (rc != 0) {
		msg_warn("cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
	return rc == 0 ? 0 : EXIT_LOCAL;
}

int
tts_render(const char *text, const char *language, const char *voice,
    const char *path)
{
	struct buf pcm = BUF_INIT, wav = BUF_INIT;
	int rate = 22050, rc;

	if ((rc = synthesize(text, language, voice, &pcm, &rate)) == 0) {
		wav_header(&wav, (uint32_t)rate, (uint32_t)pcm.len);
		if (pcm.len > 0)
			buf_add(&wav, pcm.p, pcm.len);
		rc = publish(path, &wav);
	}
	buf_free(&pcm);
	buf_free(&wav);
	return rc;
}
