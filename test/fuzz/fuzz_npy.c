/* libFuzzer target: the .npy reader (header lexer, dtype and shape checks,
 * data conversion). Build with `make fuzz`; run
 * build/fuzz/fuzz_npy -max_total_time=60. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct npy a;
	char err[256];
	size_t i;
	volatile double sink = 0;

	if (npy_read(data, size, &a, err, sizeof err) == 0) {
		/* Touch every value: a wrong size computation shows here. */
		for (i = 0; i < a.rows * a.cols; i++)
			sink += a.v[i];
		npy_free(&a);
	}
	(void)sink;
	return 0;
}
