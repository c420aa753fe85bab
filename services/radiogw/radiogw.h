/*
 * radiogw.h: the radio protocol as pure functions (docs/RADIO.md) -- the
 * logic library npradiogw_logic, linked by the daemon, the unit tests and
 * the fuzz target.  Nothing here does I/O or keeps global state.
 *
 *   line.c    one client line -> struct radio_cmd, or a refusal naming
 *             the problem (struct radio_error);
 *   nmea.c    NMEA 0183 $--RMC sentences -> a position;
 *   reply.c   error codes, OK/NAK/BYE lines, percent-encoding;
 *   order.c   order.issued / order.cancelled messages -> ORDER / CANCEL
 *             lines, and the unit.status / unit.position messages;
 *   bucket.c  the per-connection token bucket and the flood rule;
 *   proof.c   the login's challenge and the check of a unit's proof.
 *
 * Every refusal carries a stable code (the second word of a NAK, for
 * programs) and a message (the rest of the line, for people).
 */
#ifndef RADIOGW_H
#define RADIOGW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define RADIO_ID_MAX		63	/* unit and order ids (bytes) */
#define RADIO_PROOF_MAX		127	/* PROOF argument (bytes) */
#define RADIO_NONCE_LEN		16	/* random bytes of a challenge */
#define RADIO_NONCE_HEX		(2 * RADIO_NONCE_LEN)
#define RADIO_MAC_HEX		64	/* HMAC-SHA256 in hex */
#define RADIO_WORD_MAX		32	/* decline reason, disposition */
#define RADIO_TYPE_MAX		32	/* incident type */
#define RADIO_ADDRESS_MAX	256	/* address before percent-encoding */
#define RADIO_MSG_MAX		160	/* message of a NAK */
#define RADIO_OUT_MAX		1024	/* longest line the server sends */
#define RADIO_LAT_MAX		85.05112878	/* Redis GEO's limit */
#define RADIO_FLOOD_FACTOR	5	/* refused lines (x rate) -> flood */
#define RADIO_CALM_MS		1000	/* no refusal this long ends a flood */

enum radio_verb {
	RADIO_NONE,		/* not known: shown as "-" */
	RADIO_AUTH,
	RADIO_PROOF,
	RADIO_POS,
	RADIO_NMEA,		/* a '$' sentence */
	RADIO_ACK,
	RADIO_DECLINE,
	RADIO_ENROUTE,
	RADIO_ONSCENE,
	RADIO_CLEAR,
	RADIO_PING,
	RADIO_QUIT,
	RADIO_VERBS
};

enum radio_err {
	RADIO_E_NONE,
	/* the line itself */
	RADIO_E_BAD_LINE,
	RADIO_E_LINE_TOO_LONG,
	RADIO_E_UNKNOWN_VERB,
	RADIO_E_MISSING_ARG,
	RADIO_E_EXTRA_ARG,
	/* an argument */
	RADIO_E_BAD_UNIT_ID,
	RADIO_E_SECRET_ON_WIRE,
	RADIO_E_BAD_PROOF,
	RADIO_E_BAD_LAT,
	RADIO_E_BAD_LON,
	RADIO_E_BAD_NMEA,
	RADIO_E_BAD_CHECKSUM,
	RADIO_E_NO_FIX,
	RADIO_E_UNSUPPORTED_SENTENCE,
	RADIO_E_BAD_ORDER_ID,
	RADIO_E_BAD_REASON,
	RADIO_E_BAD_DISPOSITION,
	/* the session (decided by the daemon) */
	RADIO_E_NOT_AUTHENTICATED,
	RADIO_E_NO_CHALLENGE,
	RADIO_E_ALREADY_AUTHENTICATED,
	RADIO_E_UNKNOWN_ORDER,
	RADIO_E_NOT_YOUR_ORDER,
	RADIO_E_ORDER_CLOSED,
	RADIO_E_RATE_LIMITED,
	RADIO_E_TOO_MANY_CONNECTIONS,
	RADIO_E_UNAVAILABLE,
	RADIO_E_INTERNAL,
	RADIO_E_COUNT
};

/* One accepted client line; which fields are set depends on verb. */
struct radio_cmd {
	enum radio_verb	verb;
	char		unit_id[RADIO_ID_MAX + 1];	/* AUTH */
	int		secret_on_wire;	/* AUTH <unit> <secret>: refused */
	char		proof[RADIO_PROOF_MAX + 1];	/* PROOF */
	double		lat, lon;			/* POS, NMEA */
	char		order_id[RADIO_ID_MAX + 1];	/* order verbs */
	char		word[RADIO_WORD_MAX + 1];	/* reason, disposition */
};

struct radio_error {
	enum radio_err	code;
	enum radio_verb	verb;		/* RADIO_NONE when unknown */
	char		msg[RADIO_MSG_MAX];
};

/* line.c */
enum radio_parse {
	RADIO_PARSE_CMD,	/* cmd filled */
	RADIO_PARSE_EMPTY,	/* blank line: ignored, no reply */
	RADIO_PARSE_ERROR,	/* e filled */
};
/*
 * line: one line without its terminator ('\n', and a '\r' before it, are
 * stripped by the caller or here); any bytes, not NUL-terminated.
 */
enum radio_parse radio_line_parse(const char *line, size_t len,
		    struct radio_cmd *, struct radio_error *);
const char	*radio_verb_name(enum radio_verb);	/* "ACK", "-" */
/* Is s (len bytes) a valid id: [A-Za-z0-9._:-]{1,RADIO_ID_MAX}? */
int		 radio_id_valid(const char *s, size_t len);
/* A decline reason: [A-Za-z0-9_-]{1,RADIO_WORD_MAX}, copied lower-case. */
int		 radio_word_copy(char *dst, const char *s, size_t len);
/* The refusal codes of the parser and session: 0/-1, e filled. */
int		 radio_error_set(struct radio_error *, enum radio_verb,
		    enum radio_err, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/* Dispositions a CLEAR may carry (NULL-terminated), and lookup. */
extern const char *const radio_dispositions[];
int		 radio_disposition_valid(const char *);

/* nmea.c: a whole sentence from '$' to the checksum; 0, or -1 with e. */
int	radio_nmea_parse(const char *s, size_t len, double *lat, double *lon,
	    struct radio_error *);
/* XOR of the bytes between '$' and '*' (for building test sentences). */
unsigned radio_nmea_checksum(const char *s, size_t len);

/* reply.c: each writes one line with its "\r\n" into buf; its length. */
const char	*radio_err_code(enum radio_err);	/* "bad_lat" */
size_t	radio_fmt_ok(char *buf, size_t len, enum radio_verb,
	    const char *details);			/* details may be NULL */
size_t	radio_fmt_nak(char *buf, size_t len, const struct radio_error *);
size_t	radio_fmt_bye(char *buf, size_t len, const char *reason,
	    const char *msg);
/* Percent-encode all but [A-Za-z0-9-._~]; "-" for ""; -1 if too long. */
int	radio_pct_encode(char *dst, size_t dstlen, const char *s);

/* order.c: what the commander sends on s:orders (docs/DISPATCH.md). */
struct radio_order {
	char	order_id[RADIO_ID_MAX + 1];
	char	incident_id[RADIO_ID_MAX + 1];
	char	unit_id[RADIO_ID_MAX + 1];
	int	tier;
	double	lat, lon;
	int	priority;
	char	type[RADIO_TYPE_MAX + 1];
	char	address[RADIO_ADDRESS_MAX + 1];	/* "" when none */
};

struct radio_cancel {
	char	order_id[RADIO_ID_MAX + 1];
	char	unit_id[RADIO_ID_MAX + 1];
	char	incident_id[RADIO_ID_MAX + 1];
	char	reason[RADIO_WORD_MAX + 1];	/* made a word */
};

enum radio_msg_kind {
	RADIO_MSG_ISSUED,
	RADIO_MSG_CANCELLED,
	RADIO_MSG_OTHER,	/* another type: not ours, skipped */
};

struct radio_msg {
	enum radio_msg_kind	kind;
	struct radio_order	order;		/* RADIO_MSG_ISSUED */
	struct radio_cancel	cancel;		/* RADIO_MSG_CANCELLED */
};

/* An s:orders message (JSON text); 0, or -1 with err naming the field. */
int	radio_msg_parse(const char *json, size_t len, struct radio_msg *,
	    char *err, size_t errlen);
/*
 * Its two paths, for tests: the fast one (np_jscan) 0 with m filled, or
 * -1: not read here (the strict one decides, and names the field); the
 * strict one (jansson) is radio_msg_parse without the fast path.
 */
int	radio_msg_fast(const char *json, size_t len, struct radio_msg *);
int	radio_msg_strict(const char *json, size_t len, struct radio_msg *,
	    char *err, size_t errlen);
/* "ORDER ...\r\n" / "CANCEL ...\r\n" into buf (RADIO_OUT_MAX); length. */
size_t	radio_order_line(char *buf, size_t len, const struct radio_order *);
size_t	radio_cancel_line(char *buf, size_t len, const struct radio_cancel *);

/*
 * unit.status (docs/DISPATCH.md): status is acked, declined, enroute,
 * onscene, clear, online or offline; the other fields may be NULL.
 * unit.position: {"unit_id","lat","lon","ts"}.  Caller json_decrefs.
 */
json_t	*radio_status_msg(const char *unit_id, const char *status,
	    const char *order_id, const char *incident_id,
	    const char *disposition, const char *reason);
json_t	*radio_position_msg(const char *unit_id, double lat, double lon,
	    int64_t ts);
/*
 * The unit.status of an order verb as JSON text, what radio_status_msg
 * dumps (without incident_id): its length, or 0 if it does not fit or a
 * value would need an escape.
 */
size_t	radio_status_text(char *buf, size_t len, int64_t ts,
	    const char *unit_id, const char *status, const char *order_id,
	    const char *disposition, const char *reason);
/* The unit.status status of an order verb ("acked" for ACK), or NULL. */
const char *radio_verb_status(enum radio_verb);

/*
 * proof.c: the login (docs/RADIO.md).  A challenge is RADIO_NONCE_LEN
 * random bytes in lowercase hex; the proof is the lowercase hex of
 * HMAC-SHA256(key = the unit's secret, msg = RADIO_PROOF_CONTEXT " "
 * unit_id " " nonce).
 */
#define RADIO_PROOF_CONTEXT	"nearpost-radio-v1"
/* A fresh nonce (RADIO_NONCE_HEX + 1 bytes, NUL-terminated); 0, or -1. */
int	radio_nonce_new(char *nonce);
/* The proof a unit holding secret sends (out: RADIO_MAC_HEX + 1). */
void	radio_proof_make(const char *secret, const char *unit_id,
	    const char *nonce, char *out);
/*
 * 1 when proof (as sent; hex digits in either case) is the proof of
 * secret for unit_id and nonce, else 0.  The comparison takes the same
 * time wherever the first difference is.
 */
int	radio_proof_check(const char *secret, const char *unit_id,
	    const char *nonce, const char *proof);
/* "CHALLENGE <unit_id> <nonce>\r\n" into buf; its length. */
size_t	radio_challenge_line(char *buf, size_t len, const char *unit_id,
	    const char *nonce);

/* bucket.c: rate lines per second, bursts of up to rate lines. */
struct radio_bucket {
	double		tokens;
	int64_t		last_ms;	/* last refill */
	int64_t		refused_ms;	/* last refusal */
	unsigned	refused;	/* refusals in the current flood */
};

enum radio_rate {
	RADIO_RATE_OK,
	RADIO_RATE_LIMITED,	/* refuse this line */
	RADIO_RATE_FLOOD,	/* refuse and disconnect */
};

void		radio_bucket_init(struct radio_bucket *, int rate,
		    int64_t now_ms);
enum radio_rate	radio_bucket_take(struct radio_bucket *, int rate,
		    int64_t now_ms);
/* Would a line be taken now?  1 or 0; changes nothing. */
int		radio_bucket_has(const struct radio_bucket *, int rate,
		    int64_t now_ms);

#endif
