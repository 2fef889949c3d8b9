/*
 * Fuzz target: sFlow v5 samples and records, raw headers through fh_net_decode
 * (lib/flow/flow-sflow.c). The input is a sequence of length-framed datagrams (see fuzz_flow.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_flow_run(FH_FLOW_SFLOW5, data, size);
}
