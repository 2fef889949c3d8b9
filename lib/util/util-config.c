/*
 * The INI-dialect configuration reader (see fenghuo/config.h). It only
 * splits text into (section, key, value, line); callers decide what keys
 * mean and report unknown ones with the line number this keeps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/config.h"

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *end = '\0';
    return s;
}

void fh_config_cleanup(fh_config *c)
{
    free(c->file);
    free(c->entries);
    free(c->text);
    memset(c, 0, sizeof *c);
}

fh_err fh_config_parse(fh_config *c, const char *name, const char *text, size_t len, fh_buf *err)
{
    memset(c, 0, sizeof *c);
    c->file = fh_xstrdup(name);
    if (len > FH_CONFIG_MAX_BYTES) {
        fh_buf_appendf(err, "%s: %zu bytes; the limit is %zu", name, len, FH_CONFIG_MAX_BYTES);
        return FH_ERR_LIMIT;
    }
    if (memchr(text, '\0', len)) {
        fh_buf_appendf(err, "%s: contains a NUL byte: not a text file", name);
        return FH_ERR_PARSE;
    }
    c->text = fh_xstrndup(text, len);
    size_t cap = 0;
    const char *section = "";
    unsigned line = 0;
    char *p = c->text, *end = c->text + len;
    fh_err rc = FH_OK;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        line++;
        if ((size_t)(eol - p) > FH_CONFIG_MAX_LINE) {
            fh_buf_appendf(err, "%s:%u: line longer than %d bytes", name, line, FH_CONFIG_MAX_LINE);
            rc = FH_ERR_LIMIT;
            goto done;
        }
        /* A '#' at the start or after a blank starts a comment. */
        for (char *q = p; q < eol; q++) {
            if (*q == '#' && (q == p || q[-1] == ' ' || q[-1] == '\t')) {
                eol = q;
                break;
            }
        }
        char *s = trim(p, eol);
        const char *key, *value;
        p = nl ? nl + 1 : end;
        if (*s == '\0')
            continue;
        if (*s == '[') {
            size_t n = strlen(s);
            if (n < 3 || s[n - 1] != ']') {
                fh_buf_appendf(err, "%s:%u: a section header is '[type name]'", name, line);
                rc = FH_ERR_PARSE;
                goto done;
            }
            s[n - 1] = '\0';
            section = trim(s + 1, s + n - 1);
            if (*section == '\0') {
                fh_buf_appendf(err, "%s:%u: empty section header", name, line);
                rc = FH_ERR_PARSE;
                goto done;
            }
            key = "";
            value = "";
        } else {
            char *eq = strchr(s, '=');
            if (eq == NULL) {
                fh_buf_appendf(err, "%s:%u: expected 'key = value'", name, line);
                rc = FH_ERR_PARSE;
                goto done;
            }
            char *k = trim(s, eq);
            value = trim(eq + 1, eq + 1 + strlen(eq + 1));
            bool ok = *k != '\0';
            for (const char *q = k; *q; q++)
                ok = ok && key_char(*q);
            if (!ok) {
                fh_buf_appendf(err, "%s:%u: '%s' is not a key (lower-case letters, digits, '_')",
                               name, line, k);
                rc = FH_ERR_PARSE;
                goto done;
            }
            key = k;
        }
        if (c->count == FH_CONFIG_MAX_ENTRIES) {
            fh_buf_appendf(err, "%s:%u: more than %d entries", name, line, FH_CONFIG_MAX_ENTRIES);
            rc = FH_ERR_LIMIT;
            goto done;
        }
        if (c->count == cap) {
            cap = cap ? cap * 2 : 32;
            c->entries = fh_xrealloc(c->entries, cap * sizeof *c->entries);
        }
        c->entries[c->count++] = (fh_config_entry){section, key, value, line};
    }
done:
    if (rc) {
        free(c->entries);
        c->entries = NULL;
        c->count = 0;
    }
    return rc;
}

fh_err fh_config_load(fh_config *c, const char *path, fh_buf *err)
{
    fh_buf data;
    fh_buf_init(&data, FH_CONFIG_MAX_BYTES);
    fh_err rc = fh_buf_read_file(&data, path);
    if (rc == FH_ERR_LIMIT) {
        memset(c, 0, sizeof *c);
        fh_buf_appendf(err, "%s: larger than %zu bytes", path, FH_CONFIG_MAX_BYTES);
    } else if (rc) {
        memset(c, 0, sizeof *c);
        fh_buf_appendf(err, "%s: cannot read: %s", path, strerror(errno));
    } else {
        rc = fh_config_parse(c, path, data.data ? data.data : "", data.len, err);
    }
    fh_buf_cleanup(&data);
    return rc;
}
