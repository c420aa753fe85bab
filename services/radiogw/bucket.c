/*
 * bucket.c: how many lines a connection may send (radio.max_lines_per_s).
 *
 * A token bucket: `rate` tokens a second, at most `rate` saved up, one per
 * line.  A line without a token is refused (NAK rate_limited) and counted;
 * the count starts again after RADIO_CALM_MS without a refusal.  When it
 * passes RADIO_FLOOD_FACTOR x rate the sender is flooding -- a burst far
 * beyond its allowance, or an excess kept up for many seconds -- and the
 * gateway hangs up: answering each line of a flood costs as much as the
 * flood itself.  Time comes from the caller (monotonic ms), so the tests
 * need no clock.
 */
#include "radiogw.h"

void
radio_bucket_init(struct radio_bucket *b, int rate, int64_t now_ms)
{
	b->tokens = rate;
	b->last_ms = now_ms;
	b->refused_ms = 0;
	b->refused = 0;
}

enum radio_rate
radio_bucket_take(struct radio_bucket *b, int rate, int64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
		if (b->tokens > rate)
			b->tokens = rate;
		b->last_ms = now_ms;
	}
	if (b->refused > 0 && now_ms - b->refused_ms >= RADIO_CALM_MS)
		b->refused = 0;
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return RADIO_RATE_OK;
	}
	b->refused++;
	b->refused_ms = now_ms;
	return b->refused > (unsigned)RADIO_FLOOD_FACTOR * (unsigned)rate ?
	    RADIO_RATE_FLOOD : RADIO_RATE_LIMITED;
}

int
radio_bucket_has(const struct radio_bucket *b, int rate, int64_t now_ms)
{
	double tokens = b->tokens;

	if (now_ms > b->last_ms)
		tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
	return tokens >= 1;
}
