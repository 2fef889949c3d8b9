/*
 * fh_strerror: the words for each fh_err code.
 */
#include <stddef.h>

#include "fenghuo/err.h"

static const char *const messages[FH_ERR__COUNT] = {
    [FH_OK] = "success",
    [FH_ERR_NOMEM] = "out of memory",
    [FH_ERR_INVALID] = "invalid input",
    [FH_ERR_PARSE] = "syntax error",
    [FH_ERR_LIMIT] = "limit exceeded",
    [FH_ERR_IO] = "input/output error",
    [FH_ERR_NOTFOUND] = "not found",
    [FH_ERR_EXISTS] = "already exists",
    [FH_ERR_CONFLICT] = "conflict",
    [FH_ERR_UNSUPPORTED] = "not supported",
    [FH_ERR_AUTH] = "authentication required",
    [FH_ERR_PERM] = "permission denied",
    [FH_ERR_DB] = "database error",
    [FH_ERR_NET] = "network error",
    [FH_ERR_CRYPTO] = "cryptographic failure",
    [FH_ERR_USAGE] = "usage error",
    [FH_ERR_INTERNAL] = "internal error",
};

const char *fh_strerror(fh_err rc)
{
    if ((unsigned)rc >= FH_ERR__COUNT || messages[rc] == NULL)
        return "unknown error";
    return messages[rc];
}
