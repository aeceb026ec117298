/* npy.h — a strict reader for NumPy .npy files (format versions 1, 2, 3).
 *
 * Supported: dtypes float32/float64, int8..int64, uint8..uint64, little or
 * big endian, C or Fortran order, 1-D (n samples of one feature) or 2-D
 * (n samples of k features). Everything else — object arrays, structured
 * dtypes, 0-D or 3-D shapes, a header that is not exactly the Python dict
 * NumPy writes, a data section shorter or longer than the shape says — is
 * an error with a message naming the problem. The parser works on a buffer
 * already in memory, so a fuzzer can drive it directly.
 */
#ifndef OPSPIPE_NPY_H
#define OPSPIPE_NPY_H

#include <stddef.h>

struct npy_header {
	char kind;		/* 'f' float, 'i' signed, 'u' unsigned */
	int size;		/* bytes per item: 1, 2, 4, 8 */
	int big_endian;
	int fortran;		/* column-major data */
	int ndim;		/* 1 or 2 */
	size_t shape[2];	/* shape[1] is 1 for 1-D arrays */
	size_t data_offset;	/* where the data starts in the file */
};

struct npy {
	size_t rows, cols;	/* 1-D arrays: cols == 1 */
	double *v;		/* rows * cols values, row-major */
};

/* Parses and validates the header. 0, or -1 with a message in err. */
int npy_parse_header(const unsigned char *p, size_t len, struct npy_header *h,
    char *err, size_t errlen);
/* Parses a whole file image into doubles. 0, or -1 with err (then *a is
 * empty). The caller frees a->v with npy_free(). */
int npy_read(const unsigned char *p, size_t len, struct npy *a, char *err,
    size_t errlen);
void npy_free(struct npy *a);

#endif
