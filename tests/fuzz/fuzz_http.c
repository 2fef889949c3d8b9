/*
 * Fuzz target: HTTP request line and Host header (lib/net/net-http.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fh_http_req req;
    bool found = false;
    fh_http_request(data, size, &req, &found);
    if (strlen(req.host) > FH_HTTP_HOST_MAX)
        abort();
    if (req.target && (req.target < data || req.target + req.target_len > data + size))
        abort();
    return 0;
}
