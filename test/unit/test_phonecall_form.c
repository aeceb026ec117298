/* test_phonecall_form.c — callback bodies and Twilio's signature,
 * against the vectors of Twilio's own validator tests (twilio-python's
 * tests/unit/test_request_validator.py: token 12345, its URL and
 * parameters), including repeated parameters and the port variants
 * Twilio's validators accept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "phonecall.h"

#define URL	"https://mycompany.com/myapp.php?foo=1&bar=2"
#define BODY	"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309" \
		"&To=%2B18005551212&Caller=%2B14158675309"

static struct form
parse(const char *body)
{
	struct form f;

	assert_int_equal(form_parse(body, strlen(body), &f), 0);
	return f;
}

static void
test_parse(void **state)
{
	struct form f;

	(void)state;
	f = parse("a=1&b=two+words&c=%41%2b%2F&d=&e&&f=caf%C3%A9");
	assert_int_equal(f.n, 6);
	assert_string_equal(form_get(&f, "a"), "1");
	assert_string_equal(form_get(&f, "b"), "two words");
	assert_string_equal(form_get(&f, "c"), "A+/");
	assert_string_equal(form_get(&f, "d"), "");
	assert_string_equal(form_get(&f, "e"), "");
	assert_string_equal(form_get(&f, "f"), "caf\xc3\xa9");
	assert_null(form_get(&f, "g"));
	form_free(&f);
	f = parse("");
	assert_int_equal(f.n, 0);
	form_free(&f);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%00",
	    "%00=1", "=1", "a=%ff", "a=%c3", "a=%ed%a0%80", "a=%c0%af", NULL };
	struct form f;

	(void)state;
	for (size_t i = 0; bad[i] != NULL; i++) {
		assert_int_equal(form_parse(bad[i], strlen(bad[i]), &f), -1);
		assert_int_equal(f.n, 0);
	}
	/* a NUL byte in the raw body too */
	assert_int_equal(form_parse("a=1\0b", 5, &f), -1);
}

static void
test_signature(void **state)
{
	struct form f = parse(BODY), dup;
	char *sig;

	(void)state;
	sig = twilio_signature("12345", URL, &f);
	assert_string_equal(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	free(sig);
	assert_true(twilio_signature_ok("12345", URL, &f,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	/* a repeated name: its values sorted too */
	dup = parse("Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234");
	sig = twilio_signature("12345", URL, &dup);
	assert_string_equal(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
	free(sig);
	form_free(&dup);
	/* signed with the port, or without it: both are Twilio's */
	assert_true(twilio_signature_ok("12345",
	    "https://mycompany.com:1234/myapp.php?foo=1&bar=2", &f,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	assert_true(twilio_signature_ok("12345",
	    "http://mycompany.com:1234/myapp.php?foo=1&bar=2", &f,
	    "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
	assert_true(twilio_signature_ok("12345", URL, &f,
	    "kvajT1Ptam85bY51eRf/AJRuM3w="));
	assert_true(twilio_signature_ok("12345",
	    "http://mycompany.com/myapp.php?foo=1&bar=2", &f,
	    "0ZXoZLH/DfblKGATFgpif+LLRf4="));
	form_free(&f);
}

static void
test_refused(void **state)
{
	struct form f = parse(BODY), changed;

	(void)state;
	/* another token, URL, parameter, or none at all */
	assert_false(twilio_signature_ok("12346", URL, &f,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	assert_false(twilio_signature_ok("12345",
	    "https://mycompany.com/myapp.php?foo=1&bar=3", &f,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	changed = parse("CallSid=CA1234567890ABCDE&Digits=1&From=%2B14158675309"
	    "&To=%2B18005551212&Caller=%2B14158675309");
	assert_false(twilio_signature_ok("12345", URL, &changed,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	form_free(&changed);
	assert_false(twilio_signature_ok("12345", URL, &f, NULL));
	assert_false(twilio_signature_ok("12345", URL, &f, ""));
	assert_false(twilio_signature_ok("12345", URL, &f,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8"));		/* cut short */
	assert_false(twilio_signature_ok("12345", URL, &f,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8=="));
	assert_false(twilio_signature_ok(NULL, URL, &f,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	form_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
