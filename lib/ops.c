/* STUB for testing mrmap: count and integer sum only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mr.h"
int mr_op_parse(struct mr_op *op, const char *name)
{
	if (strcmp(name, "count") == 0) op->code = MR_OP_COUNT;
	else if (strcmp(name, "sum") == 0) op->code = MR_OP_SUM;
	else if (strcmp(name, "distinct") == 0) op->code = MR_OP_DISTINCT;
	else return -1;
	return 0;
}
const char *mr_op_name(int code) { return code == MR_OP_COUNT ? "count" : code == MR_OP_SUM ? "sum" : "distinct"; }
int mr_op_combinable(const struct mr_op *op) { return op->code != MR_OP_DISTINCT; }
void mr_agg_init(struct mr_agg *a) { a->n = 0; }
int mr_agg_add(const struct mr_op *op, struct mr_agg *a, const unsigned char *v, size_t len)
{
	char b[64]; char *e;
	if (op->code == MR_OP_COUNT) { a->n++; return 0; }
	if (len == 0 || len > 60) return MR_AGG_NAN;
	memcpy(b, v, len); b[len] = 0;
	long long x = strtoll(b, &e, 10);
	if (*e) return MR_AGG_NAN;
	a->n += x; return 0;
}
int mr_agg_merge(const struct mr_op *op, struct mr_agg *a, const unsigned char *s, size_t len) { (void)op; (void)a; (void)s; (void)len; return 0; }
int mr_agg_partial(const struct mr_op *op, const struct mr_agg *a, struct mr_buf *out)
{
	(void)op;
	if (out->cap < 32) { out->p = realloc(out->p, 32); out->cap = 32; }
	out->len = (size_t)sprintf((char *)out->p, "%lld", a->n);
	return 0;
}
int mr_agg_result(const struct mr_op *op, const struct mr_agg *a, struct mr_buf *out) { return mr_agg_partial(op, a, out); }
size_t mr_agg_heap(const struct mr_agg *a) { (void)a; return 0; }
void mr_agg_free(struct mr_agg *a) { a->n = 0; }
