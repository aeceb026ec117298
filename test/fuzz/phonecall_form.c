/* phonecall_form.c — libFuzzer target for phonecall's callback form
 * parser and Twilio signature check.
 *
 * The input is a URL (first line) and a form body (the rest). Checks:
 * no crash or overread (ASan); a body that parses holds only names and
 * values without NUL that form_get finds again; and the signature
 * phonecall computes for it is one it accepts, while a changed one is
 * refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/phonecall/form.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t ulen = nl ? (size_t)(nl - (const char *)data) : 0;
	char *url = strndup((const char *)data, ulen), *sig;
	const char *body = nl ? nl + 1 : (const char *)data;
	size_t blen = nl ? size - ulen - 1 : size;
	struct form f;

	if (url == NULL)
		return 0;
	if (form_parse(body, blen, &f) == 0) {
		for (size_t i = 0; i < f.n; i++)
			if (form_get(&f, f.f[i].name) == NULL)
				abort();
		sig = twilio_signature("token", url, &f);
		if (!twilio_signature_ok("token", url, &f, sig))
			abort();
		sig[0] = sig[0] == 'A' ? 'B' : 'A';
		if (twilio_signature_ok("token", url, &f, sig))
			abort();
		free(sig);
		form_free(&f);
	} else if (f.n != 0) {
		abort();
	}
	free(url);
	return 0;
}
