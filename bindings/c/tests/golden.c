/*
 * C tests of the Mezon C ABI, compiled against include/mezon.h.
 *
 *   golden PACK_DIR CASES_JSONL EXPECTED_JSONL BUNDLE_JSON BROKEN_PACK_DIR HOSTILE_PACK_DIR RANK_OUT
 *
 * Contents:
 *   1. golden:   every golden case input through mezon_pack_assess_json,
 *                byte for byte against `mezon assess --format jsonl` lines
 *   2. bundle:   the same pack loaded from its bundle gives the same lines
 *   3. threads:  several threads assess with one shared pack at once
 *   4. errors:   bad JSON, NULL arguments, a broken table with its position
 *   5. hostile:  a rule that loops ends its record with a limit error; the
 *                next record scores; a rule that recurses to the call limit
 *                ends with an error on a thread with the 256 KiB of stack
 *                the header asks for
 *   6. panic:    a panic inside the library comes back as an error
 *   7. rank:     ranking of the golden inputs, written to RANK_OUT for the
 *                test script to compare with `mezon rank --format json`
 *
 * Ends with "N passed, N failed"; exit status 1 on any failure. Test
 * scripts run it plain and under valgrind.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mezon.h"

/* The test hook, left out of the public header on purpose. */
char *mezon_test_panic(mezon_error **err);

/* Position of the syntax error the test script puts in tables/timeliness.table. */
#define BROKEN_LINE 10
#define BROKEN_COLUMN 8

static int passed, failed;

#define CHECK(cond, ...)                                              \
    do {                                                              \
        if (cond) {                                                   \
            passed++;                                                 \
        } else {                                                      \
            failed++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(2);
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Splits text into lines in place; returns the count, *lines malloc'ed. */
static size_t split_lines(char *text, char ***lines) {
    size_t cap = 16, n = 0;
    *lines = malloc(cap * sizeof(char *));
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        if (*p) {
            if (n == cap) *lines = realloc(*lines, (cap *= 2) * sizeof(char *));
            (*lines)[n++] = p;
        }
        if (!nl) break;
        p = nl + 1;
    }
    return n;
}

static size_t n_cases;
static char **cases, **expected;

/* Assesses every case; returns the number of results that differ from the native lines. */
static size_t run_cases(const mezon_pack *pack, int report) {
    size_t bad = 0;
    for (size_t i = 0; i < n_cases; i++) {
        mezon_error *err = NULL;
        char *got = mezon_pack_assess_json(pack, cases[i], &err);
        if (!got || strcmp(got, expected[i]) != 0) {
            bad++;
            if (report)
                fprintf(stderr, "golden case %zu differs:\n  input:    %s\n  native:   %s\n  C:        %s\n  error:    %s\n", i + 1,
                        cases[i], expected[i], got ? got : "(null)", err ? mezon_error_message(err) : "");
        }
        mezon_string_free(got);
        mezon_error_free(err);
    }
    return bad;
}

static void *thread_main(void *pack) { return (void *)run_cases(pack, 0); }

static void test_golden(const mezon_pack *pack) {
    size_t bad = run_cases(pack, 1);
    CHECK(bad == 0, "%zu of %zu golden cases differ from native output", bad, n_cases);
    printf("golden: %zu cases, %zu identical to native\n", n_cases, n_cases - bad);
}

static void test_threads(const mezon_pack *pack) {
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, thread_main, (void *)pack) == 0, "pthread_create");
    size_t bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (size_t)r;
    }
    CHECK(bad == 0, "%zu results differ when %d threads share the pack", bad, THREADS);
}

static void test_bundle(const char *bundle_path) {
    char *text = read_text(bundle_path);
    mezon_error *err = NULL;
    mezon_pack *pack = mezon_pack_load_bundle(text, &err);
    free(text);
    CHECK(pack && !err, "bundle loads: %s", err ? mezon_error_message(err) : "");
    if (pack) {
        size_t bad = run_cases(pack, 1);
        CHECK(bad == 0, "%zu results from the bundle differ", bad);
    }
    mezon_pack_free(pack);
    mezon_error_free(err);

    err = NULL;
    pack = mezon_pack_load_bundle("{\"format\": 1}", &err);
    CHECK(!pack && err, "a bad bundle is an error");
    mezon_error_free(err);
}

static void test_errors(const mezon_pack *pack, const char *broken_dir) {
    mezon_error *err = NULL;
    char *out = mezon_pack_assess_json(pack, "{\"service_id\": ", &err);
    CHECK(!out && err, "bad JSON is an error of the call");
    CHECK(err && strcmp(mezon_error_kind(err), "input") == 0, "kind %s", err ? mezon_error_kind(err) : "");
    if (err) {
        char *json = mezon_error_json(err);
        CHECK(json && strstr(json, "\"type\":\"input\"") && strstr(json, "not valid JSON"), "error JSON: %s", json ? json : "");
        mezon_string_free(json);
    }
    mezon_error_free(err);

    /* A JSON value that is not an object is a record, only an invalid one. */
    err = NULL;
    out = mezon_pack_assess_json(pack, "[1, 2]", &err);
    CHECK(out && !err && strstr(out, "\"status\":\"invalid\""), "non-object record: %s", out ? out : "");
    mezon_string_free(out);

    err = NULL;
    CHECK(!mezon_pack_assess_json(NULL, "{}", &err) && err, "NULL pack is an error");
    mezon_error_free(err);
    err = NULL;
    CHECK(!mezon_pack_assess_json(pack, NULL, &err) && err, "NULL record is an error");
    mezon_error_free(err);
    CHECK(!mezon_pack_assess_json(pack, "nope", NULL), "err may be NULL");

    err = NULL;
    CHECK(!mezon_pack_load_dir("/nonexistent/mezon/pack", &err) && err, "missing pack folder is an error");
    mezon_error_free(err);

    err = NULL;
    mezon_pack *broken = mezon_pack_load_dir(broken_dir, &err);
    CHECK(!broken && err, "a pack with a broken table does not load");
    if (err) {
        CHECK(strcmp(mezon_error_kind(err), "table") == 0, "kind %s", mezon_error_kind(err));
        const char *file = mezon_error_file(err);
        CHECK(file && strcmp(file, "tables/timeliness.table") == 0, "file %s", file ? file : "(null)");
        CHECK(mezon_error_line(err) == BROKEN_LINE, "line %u", mezon_error_line(err));
        CHECK(mezon_error_column(err) == BROKEN_COLUMN, "column %u", mezon_error_column(err));
        const char *msg = mezon_error_message(err);
        CHECK(strstr(msg, "--> tables/timeliness.table:") != NULL, "rendered frame: %s", msg);
        char *json = mezon_error_json(err);
        CHECK(strstr(json, "\"file\":\"tables/timeliness.table\""), "error JSON: %s", json);
        mezon_string_free(json);
    }
    mezon_pack_free(broken);
    mezon_error_free(err);

    /* NULL handles are tolerated by the accessors and free functions. */
    CHECK(mezon_error_message(NULL) == NULL && mezon_error_line(NULL) == 0, "NULL error accessors");
    CHECK(mezon_pack_info_json(NULL) == NULL, "NULL pack info");
    mezon_error_free(NULL);
    mezon_pack_free(NULL);
    mezon_string_free(NULL);

    err = NULL;
    out = mezon_pack_rank_json(pack, "{}", NULL, &err);
    CHECK(!out && err && strcmp(mezon_error_kind(err), "input") == 0, "rank needs an array");
    CHECK(mezon_error_field(err) == NULL && mezon_error_record(err) == NULL, "no field, no record");
    mezon_error_free(err);

    /* An organisation record without its id: reported in the ranking's
       input_errors by record and field, and the ranking goes on. */
    err = NULL;
    out = mezon_pack_rank_json(pack, "[]", "[{\"period\": 2016}]", &err);
    CHECK(out && !err, "an organisation record without an id is no failure: %s", err ? mezon_error_message(err) : "");
    CHECK(out && strstr(out, "\"input_errors\":[{\"kind\":\"input\",\"field\":\"organization_id\",\"message\":\"required field is missing\",\"record\":\"organization 1\"}"),
          "input_errors name record and field: %s", out ? out : "(null)");
    mezon_string_free(out);
    mezon_error_free(err);
}

static void *recurse_main(void *pack) {
    mezon_error *err = NULL;
    char *out = mezon_pack_assess_json(pack, "{\"id\":\"r\",\"mode\":\"recurse\"}", &err);
    int ok = out && strstr(out, "\"status\":\"error\"") && strstr(out, "\"kind\":\"limit\"");
    if (!ok) fprintf(stderr, "recurse: %s\n", out ? out : "(null)");
    mezon_string_free(out);
    mezon_error_free(err);
    return (void *)(size_t)ok;
}

/* The header's stack requirement: the smallest stack it allows is enough. */
static void test_small_stack(const mezon_pack *pack) {
    pthread_attr_t attr;
    pthread_t t;
    void *ok = NULL;
    pthread_attr_init(&attr);
    CHECK(pthread_attr_setstacksize(&attr, 256 * 1024) == 0, "pthread_attr_setstacksize");
    CHECK(pthread_create(&t, &attr, recurse_main, (void *)pack) == 0, "pthread_create");
    pthread_join(t, &ok);
    pthread_attr_destroy(&attr);
    CHECK(ok, "deep recursion on a 256 KiB stack ends the record with a limit error");
}

static void test_hostile(const char *dir) {
    mezon_error *err = NULL;
    mezon_pack *pack = mezon_pack_load_dir(dir, &err);
    CHECK(pack && !err, "hostile pack loads: %s", err ? mezon_error_message(err) : "");
    mezon_error_free(err);
    if (!pack) return;

    err = NULL;
    char *out = mezon_pack_assess_json(pack, "{\"id\":\"x\",\"mode\":\"loop\"}", &err);
    CHECK(out && strstr(out, "\"status\":\"error\"") && strstr(out, "\"errors\":[{\"kind\":\"limit\""), "loop: %s", out ? out : "(null)");
    mezon_string_free(out);
    mezon_error_free(err);

    err = NULL;
    out = mezon_pack_assess_json(pack, "{\"id\":\"y\",\"mode\":\"ok\"}", &err);
    CHECK(out && strstr(out, "\"status\":\"assessed\"") && strstr(out, "\"score\":42"), "next record: %s", out ? out : "(null)");
    mezon_string_free(out);
    mezon_error_free(err);

    err = NULL;
    out = mezon_pack_assess_json(pack, "{\"id\":\"z\",\"mode\":\"library\"}", &err);
    CHECK(out && strstr(out, "\"kind\":\"runtime\"") && strstr(out, "\"file\":\"lib/common.rhai\",\"line\":4"), "library: %s", out ? out : "(null)");
    mezon_string_free(out);
    mezon_error_free(err);
    test_small_stack(pack);
    mezon_pack_free(pack);
}

static void test_panic(void) {
    mezon_error *err = NULL;
    char *out = mezon_test_panic(&err);
    CHECK(!out && err, "a panic comes back as NULL plus an error");
    if (err) {
        CHECK(strcmp(mezon_error_kind(err), "internal") == 0, "kind %s", mezon_error_kind(err));
        CHECK(strstr(mezon_error_message(err), "panic") != NULL, "message %s", mezon_error_message(err));
    }
    mezon_error_free(err);
}

static void test_rank(const mezon_pack *pack, const char *out_path) {
    size_t len = 3;
    for (size_t i = 0; i < n_cases; i++) len += strlen(cases[i]) + 1;
    char *records = malloc(len);
    char *p = records;
    *p++ = '[';
    for (size_t i = 0; i < n_cases; i++) {
        if (i) *p++ = ',';
        size_t n = strlen(cases[i]);
        memcpy(p, cases[i], n);
        p += n;
    }
    *p++ = ']';
    *p = '\0';
    mezon_error *err = NULL;
    char *out = mezon_pack_rank_json(pack, records, NULL, &err);
    free(records);
    CHECK(out && !err, "rank: %s", err ? mezon_error_message(err) : "");
    if (out) {
        FILE *f = fopen(out_path, "wb");
        fputs(out, f);
        fputc('\n', f);
        fclose(f);
    }
    mezon_string_free(out);
    mezon_error_free(err);
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s PACK_DIR CASES_JSONL EXPECTED_JSONL BUNDLE_JSON BROKEN_PACK_DIR HOSTILE_PACK_DIR RANK_OUT\n", argv[0]);
        return 2;
    }
    const char *version = mezon_version();
    CHECK(version && *version, "version");
    printf("mezon %s\n", version);

    char *cases_text = read_text(argv[2]), *expected_text = read_text(argv[3]);
    char **exp_lines;
    n_cases = split_lines(cases_text, &cases);
    size_t n_expected = split_lines(expected_text, &exp_lines);
    expected = exp_lines;
    CHECK(n_cases > 0 && n_cases == n_expected, "%zu cases, %zu native lines", n_cases, n_expected);

    mezon_error *err = NULL;
    mezon_pack *pack = mezon_pack_load_dir(argv[1], &err);
    CHECK(pack && !err, "pack loads: %s", err ? mezon_error_message(err) : "");
    mezon_error_free(err);
    if (pack && n_cases == n_expected) {
        char *info = mezon_pack_info_json(pack);
        CHECK(info && strstr(info, "\"id\":\"uz-egov-quality\""), "info: %.80s", info ? info : "(null)");
        mezon_string_free(info);
        test_golden(pack);
        test_threads(pack);
        test_bundle(argv[4]);
        test_errors(pack, argv[5]);
        test_rank(pack, argv[7]);
    }
    test_hostile(argv[6]);
    test_panic();
    mezon_pack_free(pack);
    free(cases);
    free(exp_lines);
    free(cases_text);
    free(expected_text);

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
