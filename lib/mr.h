/*
 * mr.h: the one public header of libmr, the library under every mr tool.
 *
 * A record is a key and a value, each any sequence of bytes.  Records move
 * between tools in the framed format specified in mr-format(5), and at the
 * edges as text lines.  Readers tell the two apart by themselves.
 *
 * Library code never prints and never exits.  Functions that can fail
 * return -1 and leave a message, naming the object and the byte offset,
 * for the caller to print (mr_reader_errmsg(), mr_writer_errmsg()).
 */
#ifndef MR_H
#define MR_H

#include <stddef.h>
#include <stdint.h>

#define MR_VERSION_STRING "0.1.0"

/* Limits of the framed format (mr-format(5)). */
#define MR_REC_MAX	(1UL << 30)	/* key + value bytes of one record */
#define MR_BLOCK_MAX	(MR_REC_MAX + 64) /* payload bytes of one block */
#define MR_META_MAX	4096		/* stream metadata bytes */
#define MR_SYNC_LEN	8
#define MR_MAGIC_LEN	9		/* sync and 'H' start a framed input */
#define MR_BLOCK_HDR	29	/* sync, type, count, length, first, crc */
#define MR_TRAILER_LEN	21		/* sync, type, count, crc */
#define MR_FORMAT_VERSION 2	/* written; version 1 is still read */

extern const unsigned char mr_sync[MR_SYNC_LEN];

struct mr_rec {
	const unsigned char *key;
	size_t klen;
	const unsigned char *val;
	size_t vlen;
};

/* How records look as text lines. */
struct mr_textfmt {
	unsigned char sep;	/* key/value separator, '\t' by default */
	unsigned char eol;	/* line terminator: '\n', or '\0' for -z */
	int magic_ok;		/* a line may start with the framed magic */
};

#define MR_TEXTFMT_DEFAULT { '\t', '\n', 0 }

/*
 * A key within values, as sort(1)'s -k takes it (--values=KEYDEF): from
 * byte schar of field sfield to byte echar of field efield, all counted
 * from 0.  echar 0 is the end of field efield, efield SIZE_MAX the end of
 * the value.  A byte position runs on past the end of its field, as in
 * sort(1), but never past the end of the value.
 */
struct mr_valkey {
	size_t sfield, schar;	/* the first byte of the key */
	size_t efield, echar;	/* the byte after its last */
	int numeric;		/* n: its first field as a decimal number */
	int reverse;		/* r: this key reversed */
};

/* Record order (mrmerge, mrsort): bytewise keys by default. */
struct mr_order {
	int numeric;	/* -n: keys compare as decimal numbers */
	int reverse;	/* -r: the whole comparison reversed */
	int values;	/* --values: equal keys ordered by value */
	unsigned char sep;	/* separates the fields of a value */
	struct mr_valkey *vkeys; /* --values=KEYDEF, in order; on the heap */
	size_t nvkeys;
};

/* checksum.c */

/*
 * mr_crc32c() extends the CRC-32C (Castagnoli) crc of a previous buffer by
 * len bytes at p; start with crc 0.  Uses the SSE4.2 instruction where the
 * CPU has it and a table otherwise; both give the same value.
 */
uint32_t mr_crc32c(uint32_t crc, const void *p, size_t len);

/* hash.c */

/*
 * mr_hash64() is the partition hash: XXH64 with seed 0 of the len bytes at
 * p, so `xxhsum -H1` computes the same value.  It reads bytes, never words,
 * and gives the same result on every host, byte order and compiler.
 */
uint64_t mr_hash64(const void *p, size_t len);

/* ops.c */

/* The built-in reduce ops of mrreduce, which are combiners too. */
enum mr_opcode { MR_OP_COUNT, MR_OP_SUM, MR_OP_MIN, MR_OP_MAX, MR_OP_MEAN,
    MR_OP_FIRST, MR_OP_LAST, MR_OP_COLLECT, MR_OP_DISTINCT };

struct mr_op {
	int code;			/* an enum mr_opcode */
	const unsigned char *sep;	/* collect's separator */
	size_t seplen;
};

#define MR_AGG_LIMBS	5	/* 64-bit limbs of the sum */
#define MR_AGG_DIGITS	38	/* digits of a sum, of a value */

struct mr_dent;

/*
 * The state of one group under one op: plain data and, for the ops that
 * keep bytes, one buffer (and distinct's hash table) on the heap.  Its
 * fields belong to ops.c; it is at most 64 bytes.
 */
struct mr_agg {
	uint64_t n;		/* values (count, mean), distinct values */
	union {
		struct {	/* sum, mean */
			uint64_t m[MR_AGG_LIMBS]; /* mantissa, low first */
			int64_t fast;	/* more of the sum, same scale */
		} sum;
		struct {	/* the other ops */
			unsigned char *p;	/* the value(s) */
			size_t len, cap;
			struct mr_dent *tab;	/* distinct's set */
			size_t mask;
		} b;
	} u;
	int32_t scale;		/* sum, mean: fraction digits of m */
	uint32_t flags;
};

/* A growable output buffer; the caller frees p. */
struct mr_buf {
	unsigned char *p;
	size_t len, cap;
};

#define MR_AGG_NAN	(-2)	/* a value is not a number */
#define MR_AGG_OVERFLOW	(-3)	/* exact arithmetic overflowed */
#define MR_AGG_BADSTATE	(-4)	/* a partial state does not parse */

/*
 * mr_op_parse() sets op to the built-in op called name ("count", "sum",
 * "min", "max", "mean", "first", "last", "collect" or "distinct"), with
 * collect's separator set to the default ",".  Returns 0, or -1 when name
 * is not a built-in op.
 */
int mr_op_parse(struct mr_op *op, const char *name);

/* mr_op_name() is the name of op code, or NULL for no op. */
const char *mr_op_name(int code);

/*
 * mr_op_combinable() is 1 when op has partial states (every op but
 * distinct, whose state grows with the data), 0 otherwise.
 */
int mr_op_combinable(const struct mr_op *op);

/*
 * mr_op_numeric() is 1 for the ops whose values must be numbers (sum,
 * mean, min and max), 0 otherwise.
 */
int mr_op_numeric(const struct mr_op *op);

/*
 * mr_op_meta() writes to buf the stream metadata of a stream of op's
 * partial states, "values=partial:NAME\n", as much as fits in size bytes,
 * and returns its whole length, as snprintf() does (without a NUL).
 */
size_t mr_op_meta(const struct mr_op *op, unsigned char *buf, size_t size);

/*
 * mr_op_from_meta() reads stream metadata: returns 0 when it is empty
 * (plain values), 1 when it marks partial states of a combinable op
 * (op->code is then that op, and its separator the default), -1 for any
 * other metadata.
 */
int mr_op_from_meta(struct mr_op *op, const unsigned char *meta, size_t len);

/* mr_agg_init() makes a an empty state, with no values. */
void mr_agg_init(struct mr_agg *a);

/*
 * mr_agg_add() adds the value (v, len) to a under op.  Returns 0;
 * MR_AGG_NAN when op is numeric and v is not a number; MR_AGG_OVERFLOW
 * when v has more than MR_AGG_DIGITS digits before or after its point
 * (sum, mean), or when collect's result would be over MR_REC_MAX bytes;
 * -1 when out of memory.  On MR_AGG_NAN, a is unchanged.
 */
int mr_agg_add(const struct mr_op *op, struct mr_agg *a,
    const unsigned char *v, size_t len);

/*
 * mr_agg_merge() adds to a the partial state (state, len) that
 * mr_agg_partial() wrote for op, so that merging the states of the pieces
 * of a group, in order, gives the state of the whole group.  Returns 0,
 * MR_AGG_BADSTATE when state is not a state of op (distinct has none),
 * MR_AGG_OVERFLOW or -1 as mr_agg_add().
 */
int mr_agg_merge(const struct mr_op *op, struct mr_agg *a,
    const unsigned char *state, size_t len);

/*
 * mr_agg_partial() replaces the contents of out with a's partial state
 * (see mr-format(5)).  Returns 0, MR_AGG_BADSTATE for distinct, or -1
 * when out of memory.
 */
int mr_agg_partial(const struct mr_op *op, const struct mr_agg *a,
    struct mr_buf *out);

/*
 * mr_agg_result() replaces the contents of out with a's final result as
 * text (see mrreduce(1)); the numeric ops give an empty result for a state
 * with no values.  Returns 0, MR_AGG_OVERFLOW when a sum has more than
 * MR_AGG_DIGITS digits, or -1 when out of memory.
 */
int mr_agg_result(const struct mr_op *op, const struct mr_agg *a,
    struct mr_buf *out);

/* mr_agg_heap() is the number of heap bytes a holds, for accounting. */
size_t mr_agg_heap(const struct mr_agg *a);

/*
 * mr_agg_clear() makes a empty again, keeping a small buffer for the next
 * group; mr_agg_free() frees all a holds, leaving it as mr_agg_init() does.
 */
void mr_agg_clear(struct mr_agg *a);
void mr_agg_free(struct mr_agg *a);

/* order.c */

/*
 * mr_compare() orders two records as o says: keys bytewise (as LC_ALL=C
 * sort) or as numbers, then, with o->values, values (mr_valcmp());
 * o->reverse reverses the result.  Returns <0, 0 or >0.  Equal keys that
 * are not the same bytes (numerically "1" and "1.0") are ordered
 * bytewise, so equal results mean equal bytes and groups of equal keys
 * stay together.
 */
int mr_compare(const struct mr_order *o, const struct mr_rec *a,
    const struct mr_rec *b);

/*
 * mr_keycmp() compares two keys alone, as mr_compare() would for records
 * with equal values.
 */
int mr_keycmp(const struct mr_order *o, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen);

/*
 * mr_valcmp() compares the values of two records with equal keys, as
 * mr_compare() does when o->values is set: by each of o's value keys in
 * turn, then bytewise; o->reverse reverses the result.
 */
int mr_valcmp(const struct mr_order *o, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen);

/*
 * mr_order_parse_values() adds to o the key of the values that keydef
 * describes in the syntax of sort(1)'s -k, POS1[,POS2], where POS is
 * F[.C][MODS]: field F (from 1) of the value, fields separated by o->sep;
 * byte C (from 1) of that field, the first by default for POS1 and the
 * last (0) for POS2; POS2 the end of the value when left out; MODS any of
 * n (numeric: the key up to its first separator, as -n compares keys,
 * but numbers equal in value tie) and r (this key reversed), for the
 * whole key.  It sets o->values.  Keys added earlier compare first.  The
 * caller sets o->sep, which may come later on a command line.  Returns
 * 0, or -1 with a message of why (without newline or keydef) in err,
 * errsize bytes, when keydef does not parse or memory runs out.  The keys
 * live on the heap: copies of o share them until mr_order_free().
 */
int mr_order_parse_values(struct mr_order *o, const char *keydef, char *err,
    size_t errsize);

/*
 * mr_order_free() frees the value keys of o and makes it compare values,
 * if at all, bytewise.
 */
void mr_order_free(struct mr_order *o);

/* reader.c */

struct mr_reader;

/*
 * mr_reader_new() makes a reader of file descriptor fd, which the caller
 * keeps owning and closes after mr_reader_free().  name is used in error
 * messages (the caller keeps it alive).  fmt says how to split text lines.
 * The input is framed if it starts with the magic of mr-format(5), text
 * otherwise.  Returns NULL when out of memory.
 */
struct mr_reader *mr_reader_new(int fd, const char *name,
    const struct mr_textfmt *fmt);

/*
 * mr_reader_bufsize() sets the size of the read buffer (default 2 MiB,
 * at least 64 KiB); it grows when a block or a line needs more.  Tools
 * with many inputs open make it smaller.  Call it before the first read.
 */
void mr_reader_bufsize(struct mr_reader *r, size_t size);

/*
 * mr_reader_key_fields() makes the key of a text line its first k fields
 * (k >= 1), split by fmt->sep, and the value what follows the k-th
 * separator, as Hadoop Streaming's stream.num.map.output.key.fields does:
 * a line with k fields or fewer is all key, with an empty value.  The
 * default, k = 1, splits at the first separator.  Framed input keeps its
 * keys.  Call it before the first mr_read().
 */
void mr_reader_key_fields(struct mr_reader *r, long k);

/*
 * mr_reader_part() says that the descriptor is at byte start of the input
 * (so messages give true offsets) and makes the input end len bytes on,
 * as if the file ended there; for reading part of a text file, which a
 * part is always taken for (its start is no start of an input, so it is
 * not looked at for the magic of a framed one).  Call it before the first
 * read.
 */
void mr_reader_part(struct mr_reader *r, uint64_t start, uint64_t len);

/*
 * mr_reader_start() reads enough of the input to tell framed from text and,
 * for framed input, reads the stream header.  mr_read() calls it when the
 * caller has not.  Returns 0, or -1 on error (see mr_reader_errmsg()).
 */
int mr_reader_start(struct mr_reader *r);

/*
 * mr_read() reads the next record into rec.  The bytes rec points to belong
 * to the reader and stay valid until the next call on r.  Returns 1 for a
 * record, 0 at the end of a complete input, -1 on error: truncation,
 * corruption, an I/O error, a line or record over MR_REC_MAX.
 */
int mr_read(struct mr_reader *r, struct mr_rec *rec);

/*
 * mr_reader_meta() returns the metadata of the input's first stream and
 * its length in *len (0 for text input, or framed input with none).  Valid
 * after mr_reader_start() returned 0, until mr_reader_free().
 */
const unsigned char *mr_reader_meta(struct mr_reader *r, size_t *len);

/*
 * mr_reader_stable() is 1 when the next mr_read() on r will not move the
 * bytes of the record it last gave (the next record of framed input is in
 * the same block), so a caller may keep using them one call longer.
 */
int mr_reader_stable(const struct mr_reader *r);

/*
 * mr_reader_raw() sets *p and *len to the encoded bytes (lengths, key and
 * value) of the record last read from framed input, valid as that record
 * is, and returns 1; it returns 0 for text input.  With mr_write_raw() a
 * tool copies a record from framed input to framed output in one piece.
 */
int mr_reader_raw(const struct mr_reader *r, const unsigned char **p,
    size_t *len);

/*
 * mr_reader_take() sets *p and *len to the bytes the reader has read from
 * its descriptor and not yet given as records, and forgets them, so that
 * the caller can take the descriptor over: after mr_reader_start() has
 * told text from framed, a tool copies text input byte for byte.  The
 * bytes stay valid until the next call on r.
 */
void mr_reader_take(struct mr_reader *r, const unsigned char **p,
    size_t *len);

/*
 * mr_detect() tells from the first n bytes of an input (all of it when it
 * is shorter than MR_MAGIC_LEN) whether it is framed, by the rules of
 * mr-format(5): 1 when they are the magic number, 0 for text, -1 when they
 * are a proper prefix of it (a truncated stream header) and -2 when they
 * differ from it in only one or two places (a damaged one).
 */
int mr_detect(const unsigned char *p, size_t n);

/* mr_reader_framed() is 1 when the input is framed, 0 for text. */
int mr_reader_framed(const struct mr_reader *r);

/* mr_reader_count() is the number of records read so far. */
uint64_t mr_reader_count(const struct mr_reader *r);

/*
 * mr_reader_offset() is the offset in the input of the first byte that
 * the reader has not yet given as part of a record or a frame: after the
 * end of a whole input, its size.
 */
uint64_t mr_reader_offset(const struct mr_reader *r);

/* mr_reader_fd() is the descriptor given to mr_reader_new(). */
int mr_reader_fd(const struct mr_reader *r);

/* mr_reader_name() is the name given to mr_reader_new(). */
const char *mr_reader_name(const struct mr_reader *r);

/* mr_reader_errmsg() is the message of the last error, without newline. */
const char *mr_reader_errmsg(const struct mr_reader *r);

/* mr_reader_free() frees r; it does not close the descriptor. */
void mr_reader_free(struct mr_reader *r);

/* writer.c */

struct mr_writer;

/*
 * mr_writer_new() makes a writer to file descriptor fd, which the caller
 * keeps owning.  With text set, records are written as lines in fmt;
 * otherwise as one framed stream whose header carries the metalen bytes of
 * metadata at meta (copied).  name is used in error messages.  Nothing is
 * written before mr_writer_begin() or the first full block.  Full blocks
 * are checksummed and written by a background thread while the caller
 * fills the next, so a write error may surface one call late, at the
 * latest from mr_writer_finish().  Returns NULL when out of memory or when
 * metalen is over MR_META_MAX.
 */
struct mr_writer *mr_writer_new(int fd, const char *name, int text,
    const struct mr_textfmt *fmt, const void *meta, size_t metalen);

/*
 * mr_writer_bufsize() sets the size at which the writer flushes a block
 * (default 256 KiB); tools with many outputs open make it smaller.  Call it
 * before the first mr_write().
 */
void mr_writer_bufsize(struct mr_writer *w, size_t size);

/*
 * mr_writer_sink() makes w hand the bytes it would write to its descriptor
 * to fn(arg, p, len) instead, for a caller that writes them with care of
 * its own (to a child's pipe, with SIGPIPE held off).  fn writes all len
 * bytes and returns 0, or returns an errno value, which fails the writer
 * (see mr_writer_errno()).  A writer with a sink writes in the caller's
 * thread, not the background thread that all writers share, since its
 * reader may wait for another writer.  Call it before anything is
 * written.
 */
void mr_writer_sink(struct mr_writer *w,
    int (*fn)(void *, const void *, size_t), void *arg);

/*
 * mr_writer_begin() writes the stream header now rather than with the
 * first block, so that a reader of a tool that fails before its first
 * block sees a truncated stream, not an empty input.  Nothing for text.
 * Returns 0 or -1.
 */
int mr_writer_begin(struct mr_writer *w);

/*
 * mr_write() appends one record.  Returns 0, or -1 on a write error or a
 * record over MR_REC_MAX.
 */
int mr_write(struct mr_writer *w, const struct mr_rec *rec);

/* A field of a value: len bytes at p. */
struct mr_field {
	const void *p;
	size_t len;
};

/*
 * mr_write_fields() appends one record of the key (klen bytes) whose
 * value is the n fields at field joined by the separator of the writer's
 * text format (fmt->sep), framed or text, as mr_write() appends it,
 * without the caller joining them first.  Returns as mr_write() does.
 */
int mr_write_fields(struct mr_writer *w, const unsigned char *key,
    size_t klen, const struct mr_field *field, size_t n);

/*
 * mr_write_raw() appends one record given in its encoded form, as
 * mr_reader_raw() returns it.  Returns 0 or -1.
 */
int mr_write_raw(struct mr_writer *w, const unsigned char *p, size_t len);

/*
 * mr_writer_finish() writes what is buffered and, for framed output, the
 * trailer; a stream with no records still gets its header and trailer.
 * Returns 0 or -1.  The caller still closes fd and checks that close.
 */
int mr_writer_finish(struct mr_writer *w);

/* mr_writer_count() is the number of records written so far. */
uint64_t mr_writer_count(const struct mr_writer *w);

/*
 * mr_writer_errno() is the errno value of the write that failed w (EPIPE
 * when the reader of a pipe has gone), or 0 when no write failed.
 */
int mr_writer_errno(const struct mr_writer *w);

/* mr_writer_errmsg() is the message of the last error, without newline. */
const char *mr_writer_errmsg(const struct mr_writer *w);

/*
 * mr_writer_free() frees w without writing more (it waits for a block
 * already handed to the background thread); it does not close fd.
 */
void mr_writer_free(struct mr_writer *w);

/* combine.c */

struct mr_combine;

/*
 * mr_combine_new() makes an empty table for in-map combining with the
 * built-in op (copied; combinable, see mr_op_combinable()) in about budget
 * bytes of memory.  Returns NULL when out of memory.
 */
struct mr_combine *mr_combine_new(const struct mr_op *op, size_t budget);

/*
 * mr_combine_add() adds the value of rec to the state of its key.
 * Returns 0; 1 when the table is full and rec was not added (flush it,
 * then add rec again); an MR_AGG_ error from mr_agg_add() (rec is not
 * added, and a key is not made up for it); or -1 when out of memory.
 */
int mr_combine_add(struct mr_combine *c, const struct mr_rec *rec);

/*
 * mr_combine_flush() writes one record a key to w, the key and its
 * partial state, in the order the keys first came, and empties the
 * table, keeping its memory.  Returns 0, -1 on a write error, or an
 * error of mr_agg_partial().
 */
int mr_combine_flush(struct mr_combine *c, struct mr_writer *w);

/*
 * mr_combine_inputs() is the number of values added so far;
 * mr_combine_outputs() the number of partial states written.
 */
uint64_t mr_combine_inputs(const struct mr_combine *c);
uint64_t mr_combine_outputs(const struct mr_combine *c);

/* mr_combine_free() frees c and every state in it. */
void mr_combine_free(struct mr_combine *c);

/* ahead.c */

struct mr_ahead;

/*
 * mr_ahead_new() reads records ahead on libmr's background thread, so
 * that parsing them takes the time of another core: there it calls
 * next(arg, &rec), which gives 1 and a record, 0 at the end or -1 on an
 * error, as mr_read() and mr_merge_next() do, and copies the records
 * into batches of some 256 KiB, up to 4 ahead of the caller.  Nothing but
 * the ahead may call on the source from now until mr_ahead_read() has
 * returned 0 or less, or mr_ahead_free() has returned.  Returns NULL
 * when out of memory.
 */
struct mr_ahead *mr_ahead_new(int (*next)(void *, struct mr_rec *),
    void *arg);

/*
 * mr_ahead_read() gives the next record of the source in *rec, valid
 * until the next call.  Returns 1; 0 at the end; after the records that
 * came before it, -1 when next failed (the source's own message says
 * why) or -2 when out of memory.
 */
int mr_ahead_read(struct mr_ahead *a, struct mr_rec *rec);

/* mr_ahead_free() waits for the batches being filled and frees a. */
void mr_ahead_free(struct mr_ahead *a);

/* table.c */

struct mr_table;

/*
 * mr_table_new() makes an empty table of records, for the small input of
 * a hash join, that holds them in at most budget bytes of memory: the
 * bytes of each key once and of every value, and the table's own arrays,
 * counted at the size they were given.  Returns NULL when out of memory.
 */
struct mr_table *mr_table_new(size_t budget);

/*
 * mr_table_add() copies rec into t: its value goes after the values of
 * its key added before.  Keys are equal when their bytes are.  Returns
 * 0, 1 when rec would take t over its budget (rec is not added, and t is
 * as it was), or -1 when out of memory.
 */
int mr_table_add(struct mr_table *t, const struct mr_rec *rec);

/* A walk over the values of one key, in the order they were added. */
struct mr_table_iter {
	const struct mr_table *t;
	int first;		/* the first value, v, is next */
	const unsigned char *v;
	size_t vlen;
	uint32_t next;		/* then the value of this index + 1, or 0 */
};

/*
 * mr_table_find() readies it to walk the values of key (klen bytes) in
 * t, and returns 1 when t has the key, 0 when not (it then walks none).
 * mr_table_next() points *v and *len at the next value and returns 1, or
 * returns 0 after the last.  The values stay valid until t changes.
 */
int mr_table_find(const struct mr_table *t, const unsigned char *key,
    size_t klen, struct mr_table_iter *it);
int mr_table_next(struct mr_table_iter *it, const unsigned char **v,
    size_t *len);

/*
 * mr_table_keys() is the number of keys in t; mr_table_used() the bytes
 * of memory that t holds, which mr_table_add() keeps within the budget.
 */
size_t mr_table_keys(const struct mr_table *t);
size_t mr_table_used(const struct mr_table *t);

/* mr_table_free() frees t and its records. */
void mr_table_free(struct mr_table *t);

/* merge.c */

struct mr_merge;

/*
 * mr_merge_new() makes a merge of the n readers in (kept by the caller),
 * each sorted in order o, with a loser tree: about log2(n) comparisons a
 * record, ties broken by input position.  Returns NULL when out of memory.
 */
struct mr_merge *mr_merge_new(struct mr_reader **in, size_t n,
    const struct mr_order *o);

/*
 * mr_merge_next() gives the smallest record left in *rec and the index of
 * its input in *src (src may be NULL).  The record stays valid until the
 * next call.  An input whose record is smaller than the one before it is
 * an error naming the input and the record number.  Returns 1, 0 at the
 * end, -1 on error (see mr_merge_errmsg()).
 */
int mr_merge_next(struct mr_merge *m, struct mr_rec *rec, size_t *src);

/* mr_merge_errmsg() is the message of the last error. */
const char *mr_merge_errmsg(const struct mr_merge *m);

/* mr_merge_free() frees m, not the readers. */
void mr_merge_free(struct mr_merge *m);

/* sortbuf.c */

struct mr_sortbuf;

/*
 * mr_sortbuf_new() makes an empty in-memory sort buffer for order o that
 * holds records up to budget bytes (record bytes, their value lengths,
 * and 32 bytes a record for the sort's two arrays of entries), reserving
 * that much address space at once.  Returns NULL when out of memory or
 * address space.
 */
struct mr_sortbuf *mr_sortbuf_new(const struct mr_order *o, size_t budget);

/*
 * mr_sortbuf_add() copies rec into b.  Returns 0, 1 when b is full (rec
 * not added; an empty buffer takes any one record, however large), or -1
 * when out of memory.
 */
int mr_sortbuf_add(struct mr_sortbuf *b, const struct mr_rec *rec);

/*
 * mr_sortbuf_sort() sorts the records of b, stably (equal records keep
 * the order they were added in), on up to threads threads.  Returns 0, or
 * -1 when out of memory.
 */
int mr_sortbuf_sort(struct mr_sortbuf *b, int threads);

/* mr_sortbuf_count() is the number of records in b. */
size_t mr_sortbuf_count(const struct mr_sortbuf *b);

/*
 * mr_sortbuf_get() points rec at the i-th record of b, in sorted order
 * after mr_sortbuf_sort(), valid until b is cleared or freed.
 */
void mr_sortbuf_get(const struct mr_sortbuf *b, size_t i, struct mr_rec *rec);

/* mr_sortbuf_clear() empties b, keeping its memory. */
void mr_sortbuf_clear(struct mr_sortbuf *b);

/*
 * mr_sortbuf_lane() lets a second thread add records to the empty buffer
 * b at the same time as the first: it returns a buffer (a lane) that
 * holds the upper half of b's memory, b keeping the lower half, or NULL.
 * mr_sortbuf_join() puts the lane's records after b's own, in the order
 * they were added, frees the lane and gives b back its whole memory.
 * The lane's records must stay at most half the budget, as must b's.
 */
struct mr_sortbuf *mr_sortbuf_lane(struct mr_sortbuf *b);
void mr_sortbuf_join(struct mr_sortbuf *b, struct mr_sortbuf *l);

/*
 * mr_sortbuf_release() empties b and gives its memory back to the system
 * until records are added again.
 */
void mr_sortbuf_release(struct mr_sortbuf *b);

/* mr_sortbuf_free() frees b and its records. */
void mr_sortbuf_free(struct mr_sortbuf *b);

/* split.c */

struct mr_split;

/*
 * mr_split_new() makes a splitter of the regular file open on fd, which
 * the caller keeps owning and closes after mr_split_free(): it cuts byte
 * ranges of the file at record boundaries and copies their records as they
 * are.  name is used in error messages (the caller keeps it alive), and
 * fmt->eol ends text lines.  Returns NULL when out of memory.
 */
struct mr_split *mr_split_new(int fd, const char *name,
    const struct mr_textfmt *fmt);

/*
 * mr_split_start() takes the file's size, tells framed from text by its
 * first bytes (mr_detect()) and, for a framed file, checks and keeps its
 * first stream header.  Returns 0, or -1 for a file that is not regular,
 * a damaged or truncated first header, or a read error (see
 * mr_split_errmsg()).
 */
int mr_split_start(struct mr_split *s);

/*
 * mr_split_bound() sets *at to the first record boundary at or after byte
 * off.  It is 0 for 0 and the size of the file for an offset at or past
 * its end.  Otherwise, in text, it is the byte after the first terminator
 * at or after byte off - 1, or the size when there is none; in a framed
 * file, the first frame that the search of mr-format(5) ("Finding frames
 * from an offset") takes, or the size.  The range [start, end) of a file
 * is the bytes from the bound of start to the bound of end, so that a
 * line, or a block with its records, belongs to the range that holds its
 * first byte.  Returns 0, or -1 on a read error.
 */
int mr_split_bound(struct mr_split *s, uint64_t off, uint64_t *at);

/*
 * mr_split_copy() writes to fd, named out in messages, the records
 * between from and to, two bounds from mr_split_bound().  Text is copied
 * byte for byte.  A framed file's frames are walked from from, each
 * checked as a reader would (checksums of block headers and payloads,
 * metadata, frame order, trailer counts where the walk holds a whole
 * stream), and its block frames are copied as they are, stream headers
 * and trailers left out; the records copied are added to *count.  The walk
 * must end exactly at to, and right after a trailer when to is the end of
 * the file.  Returns 0, or -1 on damage, truncation, a read or write error.
 */
int mr_split_copy(struct mr_split *s, uint64_t from, uint64_t to, int fd,
    const char *out, uint64_t *count);

/*
 * mr_split_head() writes the framed file's first stream header to fd, and
 * mr_split_tail() a trailer that counts count records, so that the blocks
 * that mr_split_copy() writes between them make one stream.  They return
 * 0, or -1 on a write error.
 */
int mr_split_head(struct mr_split *s, int fd, const char *out);
int mr_split_tail(struct mr_split *s, int fd, const char *out,
    uint64_t count);

/* mr_split_size() is the size of the file in bytes. */
uint64_t mr_split_size(const struct mr_split *s);

/* mr_split_framed() is 1 for a framed file, 0 for text. */
int mr_split_framed(const struct mr_split *s);

/* mr_split_version() is the format version of a framed file, 0 for text. */
int mr_split_version(const struct mr_split *s);

/*
 * mr_split_unterminated() is 1 for a text file whose last line has no
 * terminator, 0 otherwise.
 */
int mr_split_unterminated(const struct mr_split *s);

/*
 * mr_split_meta() returns the metadata of a framed file's first stream,
 * and its length in *len (0 for text).  Valid until mr_split_free().
 */
const unsigned char *mr_split_meta(const struct mr_split *s, size_t *len);

/* mr_split_errmsg() is the message of the last error, without newline. */
const char *mr_split_errmsg(const struct mr_split *s);

/* mr_split_free() frees s; it does not close the descriptor. */
void mr_split_free(struct mr_split *s);

/* sync.c */

/*
 * mr_sync_find() returns the offset in the len bytes at p of the first
 * frame boundary at or after p: the sync marker followed by a stream
 * header, block header or trailer whose checksum holds.  Returns len when
 * there is none whose header lies wholly inside the buffer; a caller that
 * scans a file in pieces keeps the last MR_META_MAX + 32 bytes.
 */
size_t mr_sync_find(const unsigned char *p, size_t len);

/*
 * A scan of text for the framed magic at the start of a line, which
 * mr-format(5) makes an error (a framed stream behind some bytes), in
 * pieces as they are read.  Zero it, set eol, and set line_start when the
 * text starts a line (at the start of an input, or after a terminator).
 */
struct mr_magic_scan {
	unsigned char eol;	/* the line terminator */
	int line_start;		/* the next byte starts a line */
	uint64_t off;		/* the offset of the next byte */
	size_t matched;		/* bytes of a magic cut off by a piece's end */
	uint64_t match_at;	/* where that magic starts */
};

/*
 * mr_magic_scan() scans the next len bytes of the text.  Returns the
 * offset of the first magic found at a line start, or -1.  A magic cut
 * off at the end of the piece (matched > 0) is decided by the next call;
 * where the text ends there, it is no magic.
 */
int64_t mr_magic_scan(struct mr_magic_scan *m, const unsigned char *p,
    size_t len);

/* pool.c */

/*
 * mr_parallel() runs fn(arg, i) for i from 0 to n-1, each on a thread of
 * its own (i = 0 on the caller's), and returns when all have returned.
 * If a thread cannot be started, its share runs on the caller's thread.
 * The threads block SIGINT, SIGTERM and SIGHUP, so that those reach the
 * main thread alone.
 */
void mr_parallel(int n, void (*fn)(void *, int), void *arg);

/* fields.c */

/*
 * mr_key_fields() returns the length of the prefix of key made of its
 * first k fields separated by sep (the whole key when it has fewer).
 */
size_t mr_key_fields(const unsigned char *key, size_t klen,
    unsigned char sep, long k);

#endif
