/* internal.h - what the engine's own files share and schemes do not need. */
#ifndef HARNESS_INTERNAL_H
#define HARNESS_INTERNAL_H

#include "harness.h"

const struct harness_scheme *h_scheme(int i);
static inline int h_ntasks(const struct h_params *p)
{
    return p->nworkers + 8 <= H_MAX_WORKERS ? p->nworkers + 8 : H_MAX_WORKERS;
}

uint64_t h_page_index(const struct h_ctx *ctx, const void *p);
struct h_page *h_page_of(const struct h_ctx *ctx, const void *p);
void h_release_page(struct h_ctx *ctx, struct h_page *pg);
void h_release_held_pages(struct h_ctx *ctx);
void h_log_attach(struct h_task *t, uint64_t serial);
void h_ctx_init(struct h_ctx *ctx, void *arena, int worker);

/* futex on a word of the shared (memfd) mapping: not FUTEX_PRIVATE, the waiters are other processes */
int h_futex_wait(uint32_t *word, uint32_t expected, int timeout_ms);
void h_futex_wake(uint32_t *word, int n);
void h_mutex_lock(uint32_t *m);
void h_mutex_unlock(uint32_t *m);
int h_hist_bucket(uint64_t ns);

#endif
