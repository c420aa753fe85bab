/* np_conf: defaults, file syntax, ranges, environment overrides, errors
 * that name the file, line and key. */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "np_conf.h"
#include "np_testloop.h"

struct s {
	char	*name;
	int	 port;
	double	 radius;
	int	 flag;
};

static const struct np_conf_item items[] = {
	{ "svc.name", NP_CONF_STR, "intake", 0, 16, offsetof(struct s, name),
	  "name" },
	{ "http.port", NP_CONF_INT, "7401", 0, 65535,
	  offsetof(struct s, port), "port" },
	{ "merge.radius_m", NP_CONF_DOUBLE, "150", 0, 5000,
	  offsetof(struct s, radius), "radius" },
	{ "log.json", NP_CONF_BOOL, "false", 0, 1, offsetof(struct s, flag),
	  "json" },
};

static struct s cfg;
static struct np_conf_table t = { items, 4, &cfg };
static char err[512];

static int
parse(const char *text)
{
	np_conf_defaults(&t, 1);
	return np_conf_parse(&t, 1, text, strlen(text), "test.conf", err,
	    sizeof(err));
}

START_TEST(defaults_apply)
{
	ck_assert_int_eq(parse(""), 0);
	ck_assert_str_eq(cfg.name, "intake");
	ck_assert_int_eq(cfg.port, 7401);
	ck_assert_double_eq(cfg.radius, 150);
	ck_assert_int_eq(cfg.flag, 0);
	np_conf_free(&t, 1);
}
END_TEST

START_TEST(file_syntax_comments_quotes_spaces)
{
	ck_assert_int_eq(parse("# a comment\n\n  http.port=8080  \n"
	    "svc.name = \"a b # c\"\nmerge.radius_m = 2.5 # trailing\r\n"
	    "log.json = yes\n"), 0);
	ck_assert_int_eq(cfg.port, 8080);
	ck_assert_str_eq(cfg.name, "a b # c");
	ck_assert_double_eq(cfg.radius, 2.5);
	ck_assert_int_eq(cfg.flag, 1);
	np_conf_free(&t, 1);
}
END_TEST

START_TEST(unknown_key_names_file_line_key)
{
	ck_assert_int_eq(parse("http.port = 1\nhttp.prot = 2\n"), -1);
	ck_assert_ptr_nonnull(strstr(err, "test.conf:2"));
	ck_assert_ptr_nonnull(strstr(err, "http.prot"));
	np_conf_free(&t, 1);
}
END_TEST

START_TEST(bad_values_are_refused_with_the_key)
{
	static const char *const bad[] = { "http.port = 70000\n",
	    "http.port = 12x\n", "http.port =\n", "merge.radius_m = nan\n",
	    "merge.radius_m = -1\n", "log.json = maybe\n",
	    "svc.name = \"unterminated\n", "svc.name = 12345678901234567\n",
	    "just words\n" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(parse(bad[i]) == -1, "accepted: %s", bad[i]);
		ck_assert_msg(strstr(err, "test.conf:1") != NULL, "%s", err);
		np_conf_free(&t, 1);
	}
}
END_TEST

START_TEST(environment_overrides_file)
{
	char path[] = "/tmp/np-conf-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "http.port = 9000\n", 17), 17);
	close(fd);
	setenv("NEARPOST_HTTP_PORT", "9001", 1);
	setenv("NEARPOST_MERGE_RADIUS_M", "42", 1);
	ck_assert_int_eq(np_conf_load(&t, 1, path, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.port, 9001);
	ck_assert_double_eq(cfg.radius, 42);
	setenv("NEARPOST_HTTP_PORT", "nope", 1);
	ck_assert_int_eq(np_conf_load(&t, 1, path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "NEARPOST_HTTP_PORT"));
	unsetenv("NEARPOST_HTTP_PORT");
	unsetenv("NEARPOST_MERGE_RADIUS_M");
	unlink(path);
	np_conf_free(&t, 1);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
	ck_assert_int_eq(np_conf_load(&t, 1, "/nonexistent/x.conf", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.conf"));
	np_conf_free(&t, 1);
}
END_TEST

START_TEST(nul_and_long_lines_are_refused)
{
	char big[5000];

	np_conf_defaults(&t, 1);
	ck_assert_int_eq(np_conf_parse(&t, 1, "a\0b\n", 4, "x", err,
	    sizeof(err)), -1);
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(np_conf_parse(&t, 1, big, sizeof(big), "x", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer"));
	np_conf_free(&t, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("np_conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, defaults_apply);
	tcase_add_test(tc, file_syntax_comments_quotes_spaces);
	tcase_add_test(tc, unknown_key_names_file_line_key);
	tcase_add_test(tc, bad_values_are_refused_with_the_key);
	tcase_add_test(tc, environment_overrides_file);
	tcase_add_test(tc, missing_file_is_an_error);
	tcase_add_test(tc, nul_and_long_lines_are_refused);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
