/*
 * npctl: the command line of call-takers and supervisors.  It talks to
 * the services over their public interfaces only -- intake's HTTP API and
 * the router's nanomsg REQ/REP queries -- never to Redis behind their back.
 *
 * Files: main.c (options, commands), client.c (one request at a time over
 * libevent: HTTP and REQ), print.c (human-readable output; --json prints
 * the answers as they came).
 */
#ifndef NPCTL_H
#define NPCTL_H

#include <stddef.h>

#include <jansson.h>

struct npctl {
	const char	*intake;	/* http://127.0.0.1:7401 */
	const char	*router;	/* ipc://RUN/router.ipc */
	int		 json;		/* print raw JSON answers */
	int		 timeout_ms;
};

/*
 * client.c.  HTTP: method, path and an optional body; the status and the
 * parsed JSON answer (NULL if it was not JSON).  -1 (with a message on
 * stderr) when the service could not be reached.
 */
int	npctl_http(const struct npctl *, const char *method, const char *path,
	    const json_t *body, const char *idem_key, int *status,
	    json_t **answer);
/* Router query: the parsed answer, or NULL (message on stderr). */
json_t	*npctl_query(const struct npctl *, const json_t *query);

/* print.c */
void	npctl_print_accepted(const json_t *, int status);
void	npctl_print_incident(const json_t *);
void	npctl_print_incidents(const json_t *);
void	npctl_print_units(const json_t *);
void	npctl_print_post(const json_t *);
void	npctl_print_route(const json_t *);
/* An error answer {"error": {...}} as one line on stderr. */
void	npctl_print_error(const json_t *, int status);

#endif
