/* quantity.h — Kubernetes resource quantities, exactly.
 *
 * "128Mi", "0.5", "500m", "1e3", "4Gi", "1.5E", "-2k": a decimal number
 * with an optional binary (Ki Mi Gi Ti Pi Ei), decimal (n u m "" k M G T
 * P E) or exponent (e3, E-2) suffix, as k8s.io/apimachinery's
 * resource.ParseQuantity reads them. Values are held in nano-units in a
 * 128-bit integer, so comparisons and factors are exact (no double
 * rounding: 4Gi vs 4294967296 compare equal, 0.1+0.2 is 0.3). Precision
 * below a nano-unit is rounded up, as Kubernetes does.
 */
#ifndef K8SPATCH_QUANTITY_H
#define K8SPATCH_QUANTITY_H

#include <stddef.h>
#include <jv.h>

struct quantity {
	__extension__ __int128 nano;	/* value × 10^9 */
};

/* 0 with *q set, or -1 when s is not a quantity or out of range
 * (|value| above 2^63 units). */
int quantity_parse(const char *s, struct quantity *q);
/* A quantity in a JSON object: a string, or a number as the API also
 * accepts (borrows v). */
int quantity_from_jv(jv v, struct quantity *q);
/* <0, 0, >0 as a is less than, equal to or greater than b. */
int quantity_cmp(struct quantity a, struct quantity b);
/* 1 when a <= b × factor (exactly), else 0. */
int quantity_le_scaled(struct quantity a, struct quantity b,
    struct quantity factor);
/* Plain decimal ("1610612736", "0.5", "-0.001"), for messages. */
size_t quantity_format(struct quantity q, char *buf, size_t len);

#endif
