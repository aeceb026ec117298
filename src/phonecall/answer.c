/* answer.c — what a callee meant, and the words a call says.
 *
 * The speech rules are deliberately small and err towards "no": a
 * false or null answer calls the next level, a wrong true leaves an
 * incident with nobody on it. So any negation anywhere wins ("yes, but
 * not now" is no), a few fixed phrases that contain a negation yet mean
 * yes ("no problem", "pas de souci") are read first, asking for someone
 * else is no, a question back is never yes, and words that are neither
 * leave the answer null, with the words kept by the caller.
 */
#include <ctype.h>
#include <string.h>

#include "buf.h"
#include "phonecall.h"

enum answer
answer_digits(const char *digits)
{
	if (digits == NULL)
		return ANSWER_NULL;
	if (strcmp(digits, "1") == 0)
		return ANSWER_YES;
	if (strcmp(digits, "2") == 0)
		return ANSWER_NO;
	return ANSWER_NULL;
}

/* Phrases that mean yes although they hold a negative word. */
static const char *const yes_phrases[] = {
	"no problem", "no problems", "no worries", "why not", "not a problem",
	"of course", "i'm on it", "im on it", "on my way",
	"pas de probleme", "pas de problème", "pas de soucis", "pas de souci",
	"sans probleme", "sans problème", "pourquoi pas", "bien sûr",
	"bien sur", "je m'en occupe", "j'y vais", NULL
};

/* Phrases that mean no without a negative word: asking for someone
 * else is not taking the incident. */
static const char *const no_phrases[] = {
	"someone else", "somebody else", "anyone else", "anybody else",
	"quelqu'un d'autre", NULL
};

/* Phrases that count for nothing: a question back is not a yes. */
static const char *const neutral_phrases[] = {
	"can you", "could you", "can i", "pouvez vous", "peux tu",
	"vous pouvez", NULL
};

/* A digit said instead of pressed, alone: "one", "deux". */
static const char *const yes_alone[] = { "one", "un", "1", NULL };
static const char *const no_alone[] = { "two", "deux", "2", NULL };

static const char *const yes_words[] = {
	/* English */
	"yes", "yeah", "yep", "yup", "ya", "yea", "sure", "ok", "okay",
	"affirmative", "absolutely", "definitely", "certainly", "can",
	"will", "coming",
	/* French */
	"oui", "ouais", "ouaip", "d'accord", "dac", "daccord", "peux",
	"pourrai", "arrive", "j'arrive", "certainement", "absolument",
	"évidemment", "evidemment", "volontiers", "entendu", NULL
};

static const char *const no_words[] = {
	/* English */
	"no", "nope", "nah", "not", "never", "can't", "cant", "cannot",
	"won't", "wont", "don't", "dont", "unable", "negative", "busy",
	"impossible",
	/* French */
	"non", "nan", "pas", "ne", "jamais", "occupé", "occupe", NULL
};

static int
listed(const char *const *list, const char *w)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, w) == 0)
			return 1;
	return 0;
}

/*
 * Lowercase (ASCII, and Latin-1's accented capitals in UTF-8), a
 * typographic apostrophe as ', everything but letters, digits and
 * apostrophes as a space, padded with spaces for phrase matching.
 */
static void
normalize(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_addc(b, ' ');
	while (*p != '\0') {
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0x99) {
			buf_addc(b, '\'');
			p += 3;
		} else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e &&
		    p[1] != 0x97) {
			buf_addc(b, (char)0xc3);
			buf_addc(b, (char)(p[1] + 0x20));
			p += 2;
		} else if (*p >= 0x80 || isalnum(*p) || *p == '\'') {
			buf_addc(b, (char)tolower(*p));
			p++;
		} else {
			buf_addc(b, ' ');
			p++;
		}
	}
	buf_addc(b, ' ');
}

/* Blanks out each of the phrases in b, counting them. */
static int
strip_phrases(struct buf *b, const char *const *phrases)
{
	int n = 0;

	for (const char *const *ph = phrases; *ph != NULL; ph++) {
		size_t len = strlen(*ph);
		char *at = b->p;

		while ((at = strstr(at, *ph)) != NULL) {
			if (at[-1] == ' ' && at[len] == ' ') {
				memset(at, ' ', len);
				n++;
			}
			at += len;
		}
	}
	return n;
}

/* One word; any other "...n't", and French "n'" elisions, are no. */
static void
judge(const char *w, int *yes, int *no)
{
	const char *q = strchr(w, '\'');

	if (listed(no_words, w))
		(*no)++;
	else if (listed(yes_words, w))
		(*yes)++;
	else if (q != NULL && q[1] == 't' && q[2] == '\0')
		(*no)++;		/* any other "...n't" */
	else if (q != NULL && q - w == 1 && w[0] == 'n')
		(*no)++;		/* French elision: n'est, n'ai */
}

enum answer
answer_speech(const char *speech)
{
	struct buf b = BUF_INIT;
	int yes = 0, no = 0, words = 0;
	char *w, *save = NULL;
	const char *alone = NULL;

	if (speech == NULL)
		return ANSWER_NULL;
	normalize(&b, speech);
	no += strip_phrases(&b, no_phrases);
	yes += strip_phrases(&b, yes_phrases);
	strip_phrases(&b, neutral_phrases);
	for (w = strtok_r(b.p, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		size_t n;

		/* quotes around a word are not apostrophes */
		while (*w == '\'')
			w++;
		for (n = strlen(w); n > 0 && w[n - 1] == '\''; n--)
			w[n - 1] = '\0';
		if (*w == '\0')
			continue;
		words++;
		alone = w;
		judge(w, &yes, &no);
	}
	if (words == 1 && yes + no == 0)
		yes = listed(yes_alone, alone), no = listed(no_alone, alone);
	/* A question back ("who can help?", "yes?") is no yes, whatever
	 * words it holds: the speech recogniser marks it. */
	if (strchr(speech, '?') != NULL)
		yes = 0;
	buf_free(&b);
	if (no > 0)
		return ANSWER_NO;
	return yes > 0 ? ANSWER_YES : ANSWER_NULL;
}

int
e164_valid(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strspn(s + 1, "0123456789");
	return s[1 + n] == '\0' && n >= 2 && n <= 15;
}

static const struct words english = {
	"Can you intervene? Press 1 or say yes; press 2 or say no.",
	"Thank you. Goodbye.",
	"No answer was received. Goodbye.",
};

static const struct words french = {
	"Pouvez-vous intervenir ? Appuyez sur 1 ou dites oui ; appuyez sur 2 "
	"ou dites non.",
	"Merci. Au revoir.",
	"Aucune réponse reçue. Au revoir.",
};

const struct words *
words_for(const char *language)
{
	if (language != NULL && (language[0] == 'f' || language[0] == 'F') &&
	    (language[1] == 'r' || language[1] == 'R') &&
	    (language[2] == '\0' || language[2] == '-'))
		return &french;
	return &english;
}

int
language_valid(const char *tag)
{
	size_t n = strlen(tag);

	return n >= 2 && n <= 35 && isalpha((unsigned char)tag[0]) &&
	    strspn(tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-") == n;
}
