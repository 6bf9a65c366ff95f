/*
 * watermark.c: the event-time watermark (see watermark.h).
 */
#include "watermark.h"

void sp_wm_init(struct sp_wm *w, enum sp_wmark kind, int64_t delay)
{
	w->kind = kind;
	w->delay = delay;
	w->wm = kind == SP_WM_NONE ? SP_NO_WATERMARK : 0;
	w->own = w->up = SP_NO_WATERMARK;
	w->own_seen = w->up_seen = 0;
	sp_wm_begin(w);
}

void sp_wm_begin(struct sp_wm *w)
{
	w->batch_has_time = 0;
	w->batch_max_ms = INT64_MIN;
}

void sp_wm_see_col(struct sp_wm *w, const struct sp_col *c, size_t n)
{
	const int64_t *t = c->data;

	for (size_t i = 0; i < n; i++)
		if (!sp_col_isnull(c, i))
			sp_wm_see(w, t[i]);
}

/* ms - delay in microseconds, saturated. */
static int64_t own_watermark(int64_t ms, int64_t delay)
{
	int64_t d = delay / 1000, v;

	if (__builtin_sub_overflow(ms, d, &v))
		v = d > 0 ? INT64_MIN / 1000 + 1 : INT64_MAX / 1000;
	if (v > INT64_MAX / 1000)
		return INT64_MAX;
	if (v < INT64_MIN / 1000 + 1)
		return INT64_MIN + 1;
	return v * 1000;
}

void sp_wm_advance(struct sp_wm *w, int64_t upstream)
{
	int64_t chosen = SP_NO_WATERMARK;

	if (upstream != SP_NO_WATERMARK && (!w->up_seen || upstream > w->up)) {
		w->up = upstream;
		w->up_seen = 1;
	}
	if (w->kind == SP_WM_DELAY && w->batch_has_time) {
		int64_t v = own_watermark(w->batch_max_ms, w->delay);

		if (!w->own_seen || v > w->own) {
			w->own = v;
			w->own_seen = 1;
		}
	}
	if (w->kind == SP_WM_DELAY && w->own_seen)
		chosen = w->own;
	if (w->kind != SP_WM_NONE && w->up_seen && (chosen == SP_NO_WATERMARK || w->up < chosen))
		chosen = w->up;
	if (w->kind != SP_WM_NONE && chosen != SP_NO_WATERMARK && chosen > w->wm)
		w->wm = chosen;
}

int64_t sp_wm_out(const struct sp_wm *w)
{
	if (w->kind == SP_WM_NONE)
		return w->up_seen ? w->up : SP_NO_WATERMARK;
	return w->wm;
}

void sp_wm_save(const struct sp_wm *w, struct sp_buf *b)
{
	sp_buf_put64(b, (uint64_t)w->wm);
	sp_buf_put64(b, (uint64_t)w->own);
	sp_buf_put64(b, (uint64_t)w->up);
	sp_buf_addc(b, (char)(w->own_seen | w->up_seen << 1));
}

void sp_wm_load(struct sp_wm *w, const void *q)
{
	const unsigned char *p = q;

	w->wm = (int64_t)sp_get64(p);
	w->own = (int64_t)sp_get64(p + 8);
	w->up = (int64_t)sp_get64(p + 16);
	w->own_seen = p[24] & 1;
	w->up_seen = p[24] >> 1 & 1;
}
