/*
 * Logging: one line per message on stderr, as text for a terminal or as JSON
 * lines for services. Each line is built in a stack buffer and written with
 * one write(2), so lines from several threads never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fenghuo/time.h"
#include "fenghuo/util.h"

static fh_log_level log_level = FH_LOG_INFO;
static fh_log_format log_format = FH_LOG_TEXT;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void fh_log_set_level(fh_log_level level)
{
    log_level = level;
}

void fh_log_set_format(fh_log_format format)
{
    log_format = format;
}

fh_log_level fh_log_get_level(void)
{
    return log_level;
}

fh_err fh_log_level_parse(const char *s, fh_log_level *level)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *level = (fh_log_level)i;
            return FH_OK;
        }
    }
    return FH_ERR_USAGE;
}

/* Appends s to line[*len..cap), escaped for JSON, truncating as needed. */
static void put_json(char *line, size_t *len, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s && *len + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            line[(*len)++] = '\\';
            line[(*len)++] = (char)c;
        } else if (c == '\n') {
            line[(*len)++] = '\\';
            line[(*len)++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(line + *len, "\\u00", 4);
            line[*len + 4] = hex[c >> 4];
            line[*len + 5] = hex[c & 15];
            *len += 6;
        } else {
            line[(*len)++] = (char)c;
        }
    }
}

void fh_log(fh_log_level level, const char *component, const char *fmt, ...)
{
    if (level < log_level || level >= FH_LOG_OFF)
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char ts[FH_TIME_STRLEN];
    fh_time now = fh_time_now();
    fh_time_format_digits(&now, 3, ts, sizeof ts);

    char line[8192];
    size_t len = 0;
    if (log_format == FH_LOG_JSON) {
        int n = snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"", ts,
                         level_names[level]);
        len = (size_t)n;
        put_json(line, &len, sizeof line - 16, component ? component : "fenghuo");
        memcpy(line + len, "\",\"msg\":\"", 9);
        len += 9;
        put_json(line, &len, sizeof line - 4, msg);
        memcpy(line + len, "\"}\n", 3);
        len += 3;
    } else {
        /* Control characters are replaced so that input quoted in a message
         * cannot forge log lines. */
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p < 0x20 && *p != '\t')
                *p = '?';
        int n = snprintf(line, sizeof line, "%s %s %s: %s\n", ts, level_names[level],
                         component ? component : "fenghuo", msg);
        len = n < 0 ? 0 : (size_t)n >= sizeof line ? sizeof line - 1 : (size_t)n;
        if (len > 0)
            line[len - 1] = '\n';
    }
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
