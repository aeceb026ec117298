/* test_phonecall_rules.c — what a callee meant (the yes/no speech rules
 * in English and French, digits), E.164 numbers, the TwiML's escaping
 * and length limit, CSV fields. Table-driven: a case is one line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phonecall.h"

static const struct {
	const char *said;
	enum answer want;
} speech[] = {
	/* English: yes */
	{ "Yes.", ANSWER_YES },
	{ "yes I can", ANSWER_YES },
	{ "Yeah, on my way", ANSWER_YES },
	{ "Sure thing.", ANSWER_YES },
	{ "OK", ANSWER_YES },
	{ "okay okay", ANSWER_YES },
	{ "I can", ANSWER_YES },
	{ "No problem, I'm on it.", ANSWER_YES },
	{ "no worries", ANSWER_YES },
	{ "Why not.", ANSWER_YES },
	{ "of course", ANSWER_YES },
	{ "One.", ANSWER_YES },
	/* English: no, negation wins */
	{ "No.", ANSWER_NO },
	{ "No, I can't.", ANSWER_NO },
	{ "no I can\xe2\x80\x99t", ANSWER_NO },	/* typographic apostrophe */
	{ "not now", ANSWER_NO },
	{ "I cannot", ANSWER_NO },
	{ "nope", ANSWER_NO },
	{ "I won't", ANSWER_NO },
	{ "I shouldn't", ANSWER_NO },
	{ "yes but not now", ANSWER_NO },
	{ "Absolutely not.", ANSWER_NO },
	{ "I'm busy", ANSWER_NO },
	{ "I don't know", ANSWER_NO },
	{ "two", ANSWER_NO },
	/* someone else: not them */
	{ "can someone else take it", ANSWER_NO },
	{ "Can somebody else do it?", ANSWER_NO },
	{ "anyone else will do", ANSWER_NO },
	/* English: neither */
	{ "hello?", ANSWER_NULL },
	{ "what is this about", ANSWER_NULL },
	{ "can you repeat that", ANSWER_NULL },
	{ "one moment", ANSWER_NULL },
	/* a question back is not a yes, whatever words it holds */
	{ "Who can help?", ANSWER_NULL },
	{ "Will it take long?", ANSWER_NULL },
	{ "Yes?", ANSWER_NULL },
	{ "", ANSWER_NULL },
	{ "   ", ANSWER_NULL },
	{ "'''", ANSWER_NULL },
	/* French: oui */
	{ "oui je peux", ANSWER_YES },
	{ "Oui.", ANSWER_YES },
	{ "ouais", ANSWER_YES },
	{ "d'accord", ANSWER_YES },
	{ "D\xe2\x80\x99" "accord, j'arrive", ANSWER_YES },
	{ "Pas de problème.", ANSWER_YES },
	{ "pas de souci", ANSWER_YES },
	{ "Bien sûr", ANSWER_YES },
	{ "\xc3\x89videmment", ANSWER_YES },		/* É, capital */
	{ "pourquoi pas", ANSWER_YES },
	{ "je m'en occupe", ANSWER_YES },
	{ "un", ANSWER_YES },
	/* French: non */
	{ "je ne peux pas", ANSWER_NO },
	{ "Non.", ANSWER_NO },
	{ "non merci", ANSWER_NO },
	{ "pas maintenant", ANSWER_NO },
	{ "je n'ai pas le temps", ANSWER_NO },
	{ "je n'peux", ANSWER_NO },
	{ "c'est impossible", ANSWER_NO },
	{ "je suis occupé", ANSWER_NO },
	{ "oui mais pas tout de suite", ANSWER_NO },
	{ "deux", ANSWER_NO },
	{ "quelqu'un d'autre peut le faire ?", ANSWER_NO },
	{ "Quelqu\xe2\x80\x99un d\xe2\x80\x99" "autre", ANSWER_NO },
	/* French: neither */
	{ "allô ?", ANSWER_NULL },
	{ "pouvez-vous répéter", ANSWER_NULL },
	{ "un instant", ANSWER_NULL },
	{ "Oui ? Qui est-ce ?", ANSWER_NULL },
	{ "tu peux attendre ?", ANSWER_NULL },
};

static const char *
name(enum answer a)
{
	return a == ANSWER_YES ? "yes" : a == ANSWER_NO ? "no" : "null";
}

static void
test_speech(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof speech / sizeof speech[0]; i++) {
		enum answer got = answer_speech(speech[i].said);

		if (got != speech[i].want) {
			print_error("\"%s\": %s, expected %s\n", speech[i].said,
			    name(got), name(speech[i].want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_int_equal(answer_speech(NULL), ANSWER_NULL);
}

static void
test_digits(void **state)
{
	(void)state;
	assert_int_equal(answer_digits("1"), ANSWER_YES);
	assert_int_equal(answer_digits("2"), ANSWER_NO);
	assert_int_equal(answer_digits("3"), ANSWER_NULL);
	assert_int_equal(answer_digits("12"), ANSWER_NULL);
	assert_int_equal(answer_digits("#"), ANSWER_NULL);
	assert_int_equal(answer_digits(""), ANSWER_NULL);
	assert_int_equal(answer_digits(NULL), ANSWER_NULL);
}

static void
test_e164(void **state)
{
	static const char *const good[] = { "+33612345678", "+15005550006",
	    "+442071838750", "+12", "+123456789012345", NULL };
	static const char *const bad[] = { "33612345678", "+0612345678",
	    "+1", "+1234567890123456", "+33 6 12 34 56 78", "+33-612345678",
	    "", "+", "++33612345678", "+33612345678\n", "tel:+33612345678",
	    NULL };

	(void)state;
	for (size_t i = 0; good[i] != NULL; i++)
		assert_true(e164_valid(good[i]));
	for (size_t i = 0; bad[i] != NULL; i++)
		assert_false(e164_valid(bad[i]));
	assert_false(e164_valid(NULL));
}

static void
test_words(void **state)
{
	(void)state;
	assert_string_equal(words_for("en-US")->question, "Can you intervene? "
	    "Press 1 or say yes; press 2 or say no.");
	assert_non_null(strstr(words_for("fr-FR")->question, "intervenir"));
	assert_non_null(strstr(words_for("fr")->question, "intervenir"));
	assert_non_null(strstr(words_for("FR-CA")->question, "intervenir"));
	assert_non_null(strstr(words_for("fry")->question, "intervene"));
	assert_non_null(strstr(words_for("de-DE")->question, "intervene"));
	assert_true(language_valid("en-US"));
	assert_true(language_valid("fr"));
	assert_false(language_valid("e"));
	assert_false(language_valid("en US"));
	assert_false(language_valid("\"><x"));
}

static char *
escaped(const char *s)
{
	struct buf b = BUF_INIT;

	xml_escape(&b, s);
	buf_add(&b, "", 0);
	return buf_detach(&b);
}

static void
test_xml_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "a < b & c > d", "a &lt; b &amp; c &gt; d" },
		{ "\"quoted\" 'single'", "&quot;quoted&quot; &apos;single&apos;" },
		{ "<speak><break time=\"10s\"/></speak>",
		    "&lt;speak&gt;&lt;break time=&quot;10s&quot;/&gt;&lt;/speak&gt;" },
		{ "</Say><Dial>+1900</Dial><Say>",
		    "&lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt;&lt;Say&gt;" },
		{ "&amp;", "&amp;amp;" },
		{ "bell\a tab\t nl\n", "bell  tab\t nl\n" },
		{ "caf\xc3\xa9 \xf0\x9f\x9a\x80", "caf\xc3\xa9 \xf0\x9f\x9a\x80" },
		{ "bad \xff byte", "bad \xef\xbf\xbd byte" },
		{ "cut \xc3", "cut \xef\xbf\xbd" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = escaped(cases[i].in);

		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void
test_twiml(void **state)
{
	struct attempt a = { "+33612345678", "alice", "Disk <full> & \"hot\"",
	    "Can you?", NULL, 0, 1 };
	const char *why;
	char *t, *big;
	size_t n;

	(void)state;
	t = twiml_build(&a, "fr-FR", NULL, "https://x.example/pc/gather?a=1&b=2",
	    &why);
	assert_non_null(t);
	assert_null(why);
	assert_non_null(strstr(t, "<Say language=\"fr-FR\">Disk &lt;full&gt; "
	    "&amp; &quot;hot&quot;</Say>"));
	assert_non_null(strstr(t, "action=\"https://x.example/pc/gather?a=1&amp;b=2\""));
	/* asked twice, then goodbye */
	assert_non_null(strstr(strstr(t, "<Gather") + 1, "<Gather"));
	assert_non_null(strstr(t, "Au revoir.</Say></Response>"));
	free(t);
	/* notify only: no question at all */
	t = twiml_build(&a, "en-US", "Polly.Joanna", NULL, &why);
	assert_non_null(t);
	assert_null(strstr(t, "Gather"));
	assert_non_null(strstr(t, "voice=\"Polly.Joanna\""));
	free(t);
	/* Twilio's 4000 characters: escapes count, characters not bytes */
	n = 3500;
	big = malloc(n + 1);
	memset(big, '&', n);
	big[n] = '\0';
	a.speech = big;
	assert_null(twiml_build(&a, "en-US", NULL, NULL, &why));
	assert_non_null(why);
	for (size_t i = 0; i + 2 <= n; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);	/* 1750 characters */
	assert_non_null(t = twiml_build(&a, "en-US", NULL, NULL, &why));
	free(t);
	free(big);
}

static void
test_csv(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "cr\r", "\"cr\r\"" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = BUF_INIT;

		csv_field(&b, cases[i].in);
		buf_add(&b, "", 0);
		assert_string_equal(b.p, cases[i].out);
		buf_free(&b);
	}
}

static void
test_twilio_errors(void **state)
{
	int stop;
	char *m;

	(void)state;
	m = twilio_error(401, "{\"code\":20003,\"message\":\"Authenticate\","
	    "\"more_info\":\"https://www.twilio.com/docs/errors/20003\","
	    "\"status\":401}", &stop);
	assert_non_null(strstr(m, "error 20003: Authenticate"));
	assert_non_null(strstr(m, "TWILIO_AUTH_TOKEN"));
	assert_true(stop);
	free(m);
	m = twilio_error(400, "{\"code\":21211,\"message\":\"The 'To' number "
	    "+1555 is not a valid phone number.\",\"status\":400}", &stop);
	assert_non_null(strstr(m, "not a valid phone number"));
	assert_false(stop);		/* the next level may be fine */
	free(m);
	m = twilio_error(400, "{\"code\":21212,\"message\":\"x\"}", &stop);
	assert_non_null(strstr(m, "'From'"));
	assert_true(stop);		/* every call would fail */
	free(m);
	m = twilio_error(502, "<html>bad gateway</html>", &stop);
	assert_string_equal(m, "Twilio answered HTTP 502");
	assert_false(stop);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_speech),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_e164),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_twiml),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_twilio_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
