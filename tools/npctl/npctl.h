/*
 * npctl: the command line of call-takers and supervisors.  It talks to
 * the services over their public interfaces only -- intake's HTTP API and
 * the router's nanomsg REQ/REP queries -- never to Redis behind their back.
 * HTTP requests carry `Authorization: Bearer $NEARPOST_TOKEN`.
 *
 * Files: main.c (options, call-taker commands), supervise.c (supervisor
 * commands), client.c (one request at a time over
 * libevent: HTTP and REQ), print.c (human-readable output; --json prints
 * the answers as they came), token.c (`token new`: make a bearer token).
 */
#ifndef NPCTL_H
#define NPCTL_H

#include <stddef.h>

#include <jansson.h>

struct npctl {
	const char	*intake;	/* http://127.0.0.1:7401 */
	const char	*router;	/* ipc://RUN/router.ipc */
	const char	*dashboard;	/* http://127.0.0.1:7402 */
	const char	*token;		/* $NEARPOST_TOKEN, or NULL */
	int		 json;		/* print raw JSON answers */
	int		 timeout_ms;
};

#define NPCTL_MAXOPT	16

/* "--name value" pairs after a command. */
struct npctl_opts {
	const char	*name[NPCTL_MAXOPT];
	const char	*val[NPCTL_MAXOPT];
	int		 n;
};

/* main.c: parse the pairs (known names only); 2 on a usage error. */
int	npctl_parse_opts(int argc, char **argv, const char *const *known,
	    struct npctl_opts *);
const char *npctl_opt(const struct npctl_opts *, const char *name);
/* obj[key] = v when v is not NULL. */
void	npctl_set_str(json_t *obj, const char *key, const char *v);

/*
 * client.c.  HTTP: method, path and an optional body; the status and the
 * parsed JSON answer (NULL if it was not JSON).  -1 (with a message on
 * stderr) when the service could not be reached.
 */
int	npctl_http(const struct npctl *, const char *method, const char *path,
	    const json_t *body, const char *idem_key, int *status,
	    json_t **answer);
/* The same against another service's base URL (the dashboard). */
int	npctl_http_at(const struct npctl *, const char *base_url,
	    const char *method, const char *path, const json_t *body,
	    const char *idem_key, int *status, json_t **answer);
/* Router query: the parsed answer, or NULL (message on stderr). */
json_t	*npctl_query(const struct npctl *, const json_t *query);

/* supervise.c: sla, escalations, close, followup; exit status as main's. */
int	npctl_supervise(struct npctl *, const char *cmd, int argc, char **argv);
/* main.c, shared with supervise.c */
int	npctl_result(const struct npctl *, int rc, int status, json_t *ans,
	    void (*print)(const json_t *));

/* token.c: `token new NAME ROLE`. */
int	npctl_token(const struct npctl *, int argc, char **argv);

/* print.c */
void	npctl_print_accepted(const json_t *, int status);
void	npctl_print_incident(const json_t *);
void	npctl_print_incidents(const json_t *);
void	npctl_print_units(const json_t *);
void	npctl_print_post(const json_t *);
void	npctl_print_route(const json_t *);
void	npctl_print_sla(const json_t *);
void	npctl_print_escalations(const json_t *);
void	npctl_print_done(const json_t *);
/* An error answer {"error": {...}} as one line on stderr. */
void	npctl_print_error(const json_t *, int status);

#endif
