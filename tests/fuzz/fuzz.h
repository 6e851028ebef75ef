/*
** fuzz.h -- glue for libmatch's fuzz targets.
**
** Each target defines FUZZ_TARGET(name) { ... } over (data, size).  Built with
** -DLM_LIBFUZZER (make fuzz) it becomes LLVMFuzzerTestOneInput; otherwise the
** replay test (tests/test_fuzz_replay.c) includes every target and runs it on
** each file of tests/fuzz/corpus/<name>/.
*/
#ifndef LM_FUZZ_H
#define LM_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include "libmatch.h"

#ifdef LM_LIBFUZZER
#define FUZZ_TARGET(name) \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#define FUZZ_RETURN return 0
#else
#define FUZZ_TARGET(name) \
    int fuzz_##name(const uint8_t *data, size_t size)
#define FUZZ_RETURN return 0
#endif

/* A small database shared by the calls of one process (created once). */
static lm_db *fuzz_db(void)
{
    static lm_db *db;
    if (!db) {
        if (lm_open(&db, ":memory:", 0) != LM_OK) __builtin_trap();
        static const char seed[] =
            "{\"id\":\"A1\",\"kind\":\"achievement\",\"title\":\"碳化硅功率模块封装\",\"abstract\":\"银烧结 SiC MOSFET\",\"experts\":[\"E1\"],\"maturity\":6}\n"
            "{\"id\":\"E1\",\"kind\":\"expert\",\"name\":\"张伟\",\"research\":\"功率器件\",\"achievements\":[\"A1\"]}\n"
            "{\"id\":\"P1\",\"kind\":\"problem\",\"title\":\"鋰離子電池熱失控預警\",\"region\":\"陕西省西安市\"}\n";
        if (lm_load_jsonl_buffer(db, seed, sizeof seed - 1, LM_LOAD_ATOMIC, NULL) != LM_OK) __builtin_trap();
    }
    return db;
}
#endif
