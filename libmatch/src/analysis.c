/*
** analysis.c -- libmatch's Chinese + English analyzer.
*/
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <opencc.h>
#include <libstemmer.h>

#include "libmatch.h"
#include "analysis.h"

/* ---- dictionary: open-addressing hash of word -> log probability ------- */

typedef struct {
    char *arena;            /* all words, NUL-separated */
    size_t arena_len, arena_cap;
    uint32_t *off;          /* slot -> offset+1 into arena (0 = empty) */
    float *logp;            /* slot -> log probability (-INF: prefix only) */
    uint32_t cap, n;
    double total;
    double min_logp;
    long long max_freq;
} dict_t;

static uint32_t hashb(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int dict_find(const dict_t *d, const char *w, size_t n)
{
    if (!d->cap) return -1;
    uint32_t h = hashb(w, n) & (d->cap - 1);
    while (d->off[h]) {
        const char *s = d->arena + d->off[h] - 1;
        if (s[0] == w[0] && memcmp(s, w, n) == 0 && s[n] == 0) return (int)h;
        h = (h + 1) & (d->cap - 1);
    }
    return -1;
}

static int dict_grow(dict_t *d)
{
    uint32_t ncap = d->cap ? d->cap * 2 : 1024;
    uint32_t *noff = calloc(ncap, sizeof *noff);
    float *nlp = malloc(ncap * sizeof *nlp);
    if (!noff || !nlp) { free(noff); free(nlp); return -1; }
    for (uint32_t i = 0; i < d->cap; i++) {
        if (!d->off[i]) continue;
        const char *s = d->arena + d->off[i] - 1;
        uint32_t h = hashb(s, strlen(s)) & (ncap - 1);
        while (noff[h]) h = (h + 1) & (ncap - 1);
        noff[h] = d->off[i];
        nlp[h] = d->logp[i];
    }
    free(d->off);
    free(d->logp);
    d->off = noff;
    d->logp = nlp;
    d->cap = ncap;
    return 0;
}

/* Insert or update; freq < 0 marks a prefix-only entry. */
static int dict_put(dict_t *d, const char *w, size_t n, double freq)
{
    int i = dict_find(d, w, n);
    if (i >= 0) {
        if (freq >= 0) d->logp[i] = (float)freq;   /* raw frequency for now */
        return 0;
    }
    if ((d->n + 1) * 2 > d->cap && dict_grow(d)) return -1;
    if (d->arena_len + n + 1 > d->arena_cap) {
        size_t nc = d->arena_cap ? d->arena_cap * 2 : 1 << 20;
        while (nc < d->arena_len + n + 1) nc *= 2;
        char *na = realloc(d->arena, nc);
        if (!na) return -1;
        d->arena = na;
        d->arena_cap = nc;
    }
    memcpy(d->arena + d->arena_len, w, n);
    d->arena[d->arena_len + n] = 0;
    uint32_t h = hashb(w, n) & (d->cap - 1);
    while (d->off[h]) h = (h + 1) & (d->cap - 1);
    d->off[h] = (uint32_t)d->arena_len + 1;
    d->logp[h] = (float)freq;
    d->arena_len += n + 1;
    d->n++;
    return 0;
}

static void dict_free(dict_t *d)
{
    free(d->arena);
    free(d->off);
    free(d->logp);
    memset(d, 0, sizeof *d);
}

static int u8len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Add word with frequency and all its proper prefixes as prefix entries. */
static int dict_add_word(dict_t *d, const char *w, size_t n, double freq)
{
    size_t i = 0;
    while (i < n) {
        i += (size_t)u8len((unsigned char)w[i]);
        if (i > n) break;
        if (i < n) {
            if (dict_find(d, w, i) < 0 && dict_put(d, w, i, -1)) return -1;
        }
    }
    return dict_put(d, w, n, freq);
}

/* ---- process-wide state -------------------------------------------------- */

#define STEM_SLOTS 8

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_path_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_dict_path;
static int g_loaded;
static int g_load_rc;
static char g_load_msg[768];
static dict_t g_dict;
static opencc_t g_cc = (opencc_t)-1;
static pthread_mutex_t g_cc_lock = PTHREAD_MUTEX_INITIALIZER;

int lmx_set_dict_path(const char *path)
{
    pthread_mutex_lock(&g_path_lock);
    int rc = LM_OK;
    if (g_loaded) rc = LM_ESTATE;
    else {
        free(g_dict_path);
        g_dict_path = path ? strdup(path) : NULL;
    }
    pthread_mutex_unlock(&g_path_lock);
    return rc;
}

static int load_dict_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char line[1024];
    double total = 0;
    long long maxf = 0;
    while (fgets(line, sizeof line, f)) {
        char *sp = strchr(line, ' ');
        if (!sp) continue;
        *sp = 0;
        long long fr = atoll(sp + 1);
        if (fr <= 0) fr = 1;
        size_t n = strlen(line);
        if (!n) continue;
        /* Lowercase ASCII so "B超" and the analyzer's "b超" agree. */
        for (size_t i = 0; i < n; i++) line[i] = (char)tolower((unsigned char)line[i]);
        if (dict_add_word(&g_dict, line, n, (double)fr)) { fclose(f); return -2; }
        total += (double)fr;
        if (fr > maxf) maxf = fr;
    }
    fclose(f);
    g_dict.total = total;
    g_dict.max_freq = maxf;
    /* Convert raw frequencies to log probabilities. */
    double lt = log(total);
    for (uint32_t i = 0; i < g_dict.cap; i++)
        if (g_dict.off[i]) g_dict.logp[i] = g_dict.logp[i] > 0 ? (float)(log(g_dict.logp[i]) - lt) : -INFINITY;
    g_dict.min_logp = log(1.0) - lt;
    return 0;
}

/* Which Han code points the converter changes: runs without any of them
   skip OpenCC entirely (most text on a mainland platform is Simplified). */
#define TRAD_LO 0x3400
#define TRAD_HI 0xFAFF
static unsigned char g_trad[(TRAD_HI - TRAD_LO + 1) / 8 + 1];

static int enc3(uint32_t cp, char *o);

static void build_trad_map(void)
{
    size_t n = TRAD_HI - TRAD_LO + 1;
    char *in = malloc(n * 5 + 1);
    if (!in) { memset(g_trad, 0xFF, sizeof g_trad); return; }
    size_t k = 0;
    for (uint32_t c = TRAD_LO; c <= TRAD_HI; c++) { k += (size_t)enc3(c, in + k); in[k++] = '\n'; }
    in[k] = 0;
    char *out = opencc_convert_utf8(g_cc, in, k);
    if (!out) { free(in); memset(g_trad, 0xFF, sizeof g_trad); return; }
    /* Compare line by line. */
    const char *a = in, *b = out;
    for (uint32_t c = TRAD_LO; c <= TRAD_HI; c++) {
        const char *ae = strchr(a, '\n'), *be = strchr(b, '\n');
        if (!ae || !be) { memset(g_trad, 0xFF, sizeof g_trad); break; }
        if (ae - a != be - b || memcmp(a, b, (size_t)(ae - a)) != 0)
            g_trad[(c - TRAD_LO) >> 3] |= (unsigned char)(1u << ((c - TRAD_LO) & 7));
        a = ae + 1;
        b = be + 1;
    }
    opencc_convert_utf8_free(out);
    free(in);
}

static int is_trad(uint32_t c)
{
    if (c < TRAD_LO || c > TRAD_HI) return c > 0xFFFF;   /* rare planes: let OpenCC decide */
    return (g_trad[(c - TRAD_LO) >> 3] >> ((c - TRAD_LO) & 7)) & 1;
}

static int enc3(uint32_t cp, char *o)
{
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

static void global_init(void)
{
    const char *tried[8];
    int nt = 0;
    pthread_mutex_lock(&g_path_lock);
    const char *env = getenv("LIBMATCH_DICT");
    /* A path set explicitly (lm_set_dictionary, then $LIBMATCH_DICT) is the
       only one tried: a typo must be an error, not a silent fallback. */
    if (g_dict_path) tried[nt++] = g_dict_path;
    else if (env && *env) tried[nt++] = env;
    else {
        tried[nt++] = "/usr/lib/python3/dist-packages/jieba/dict.txt";
        tried[nt++] = "/usr/share/python3-jieba/dict.txt";
        tried[nt++] = "/usr/local/lib/python3/dist-packages/jieba/dict.txt";
    }
    g_load_rc = LM_EDICT;
    size_t off = (size_t)snprintf(g_load_msg, sizeof g_load_msg, "word dictionary not found; tried:");
    for (int i = 0; i < nt; i++) {
        int r = load_dict_file(tried[i]);
        if (r == 0) { g_load_rc = LM_OK; g_load_msg[0] = 0; break; }
        if (r == -2) { g_load_rc = LM_ENOMEM; snprintf(g_load_msg, sizeof g_load_msg, "out of memory loading %s", tried[i]); break; }
        if (off < sizeof g_load_msg)
            off += (size_t)snprintf(g_load_msg + off, sizeof g_load_msg - off, " %s", tried[i]);
    }
    if (g_load_rc == LM_EDICT && off < sizeof g_load_msg)
        snprintf(g_load_msg + off, sizeof g_load_msg - off,
                 " (install python3-jieba, set LIBMATCH_DICT or call lm_set_dictionary())");
    g_loaded = 1;
    pthread_mutex_unlock(&g_path_lock);
    if (g_load_rc == LM_OK) {
        /* tw2sp: Traditional to Simplified with Taiwan variants and phrases
           (矽 -> 硅, 軟體 -> 软件), a superset of t2s for platform text. */
        g_cc = opencc_open("/usr/share/opencc/tw2sp.json");
        if (g_cc == (opencc_t)-1) g_cc = opencc_open("/usr/share/opencc/t2s.json");
        if (g_cc != (opencc_t)-1) build_trad_map();
    }
}

/* ---- analyzer ------------------------------------------------------------ */

struct lmx_analyzer {
    int mode;
    dict_t user;             /* user words: word -> log probability */
    uint32_t user_hash;
    char id[128];
    /* Snowball stemmers are not thread-safe: one per slot, each behind
       its lock; a thread uses its own slot (stem_slot()), so that threads
       analyzing at once (the vector build's workers, a service's) do not
       queue on one lock per English word.  Slots past 0 are made on first
       use. */
    struct sb_stemmer *stem[STEM_SLOTS];
    pthread_mutex_t stem_lock[STEM_SLOTS];
};

static void make_id(lmx_analyzer *a)
{
    char m[64] = "";
    if (a->mode & LMX_WORDS) strcat(m, "words");
    if (a->mode & LMX_SUBWORDS) strcat(m, m[0] ? "+subwords" : "subwords");
    if (a->mode & LMX_BIGRAMS) strcat(m, m[0] ? "+bigrams" : "bigrams");
    if (a->mode & LMX_UNIGRAMS) strcat(m, m[0] ? "+unigrams" : "unigrams");
    if (a->user.n)
        snprintf(a->id, sizeof a->id, "%s/%d %s user=%08x", LMX_ANALYZER_NAME, LMX_ANALYZER_VERSION, m, a->user_hash);
    else
        snprintf(a->id, sizeof a->id, "%s/%d %s", LMX_ANALYZER_NAME, LMX_ANALYZER_VERSION, m);
}

int lmx_analyzer_new(lmx_analyzer **out, int mode, char *errbuf, size_t errlen)
{
    *out = NULL;
    pthread_once(&g_once, global_init);
    if (g_load_rc) {
        if (errbuf) snprintf(errbuf, errlen, "%s", g_load_msg);
        return g_load_rc;
    }
    if (g_cc == (opencc_t)-1) {
        if (errbuf) snprintf(errbuf, errlen, "cannot open OpenCC t2s.json (install libopencc1.1 data)");
        return LM_EDICT;
    }
    lmx_analyzer *a = calloc(1, sizeof *a);
    if (!a) return LM_ENOMEM;
    a->mode = mode ? mode : LMX_DEFAULT_MODE;
    a->stem[0] = sb_stemmer_new("english", "UTF_8");
    if (!a->stem[0]) { free(a); return LM_ENOMEM; }
    for (int i = 0; i < STEM_SLOTS; i++) pthread_mutex_init(&a->stem_lock[i], NULL);
    make_id(a);
    *out = a;
    return LM_OK;
}

void lmx_analyzer_free(lmx_analyzer *a)
{
    if (!a) return;
    dict_free(&a->user);
    for (int i = 0; i < STEM_SLOTS; i++) {
        if (a->stem[i]) sb_stemmer_delete(a->stem[i]);
        pthread_mutex_destroy(&a->stem_lock[i]);
    }
    free(a);
}

int lmx_analyzer_mode(const lmx_analyzer *a) { return a->mode; }

int lmx_analyzer_set_mode(lmx_analyzer *a, int mode)
{
    if (mode & ~LMX_ALL_MODES) return LM_EINVAL;
    a->mode = mode ? mode : LMX_DEFAULT_MODE;
    make_id(a);
    return LM_OK;
}

const char *lmx_analyzer_id(const lmx_analyzer *a) { return a->id; }

int lmx_analyzer_add_word(lmx_analyzer *a, const char *word, int len, long long freq)
{
    if (len <= 0) return LM_EINVAL;
    char buf[512];
    if (len >= (int)sizeof buf) return LM_ETOOBIG;
    for (int i = 0; i < len; i++) buf[i] = (char)tolower((unsigned char)word[i]);
    double f = freq > 0 ? (double)freq : (double)g_dict.max_freq;
    double lp = log(f) - log(g_dict.total);
    if (dict_add_word(&a->user, buf, (size_t)len, lp)) return LM_ENOMEM;
    /* The user prefix entries are marked -INF by dict_add_word(). */
    for (uint32_t i = 0; i < a->user.cap; i++)
        if (a->user.off[i] && a->user.logp[i] < 0 && a->user.logp[i] == -1) a->user.logp[i] = -INFINITY;
    a->user_hash = (a->user_hash * 31u) ^ hashb(buf, (size_t)len) ^ (uint32_t)freq;
    make_id(a);
    return LM_OK;
}

/* ---- stopwords ----------------------------------------------------------- */

static const char *const stopwords[] = {
    "的", "了", "和", "及", "与", "等", "在", "是", "或", "其", "并", "对", "为", "以", "于", "将",
    "把", "被", "这", "那", "之", "也", "而", "中", "上", "下", "由", "从", "到", "就", "都", "又",
    "着", "过", "给", "让", "向", "该", "此", "各", "个", "些", "我", "我们", "你", "他", "她", "它",
    "其中", "以及", "及其", "或者", "并且", "而且", "通过", "对于", "关于", "具有", "进行", "一个", "一种",
    "可以", "能够", "如果", "因为", "所以", "但是", "然而", "同时", "已经", "还是", "不", "没有", "有",
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "for", "to", "with", "by", "from", "as",
    "is", "are", "was", "were", "be", "been", "being", "this", "that", "these", "those", "it", "its",
    "we", "our", "they", "their", "which", "who", "whom", "what", "when", "where", "how", "than",
    "then", "not", "no", "but", "if", "into", "such", "can", "also", "has", "have", "had", "do",
    "does", "did", "i", "you", "he", "she", "them", "there", "here", "so", "very", "via", "using",
};

/* Open-addressing set of the stopwords, built once. */
#define STOP_SLOTS 512
static const char *g_stop[STOP_SLOTS];
static unsigned char g_stop_len[STOP_SLOTS];
static pthread_once_t g_stop_once = PTHREAD_ONCE_INIT;

static void stop_init(void)
{
    for (size_t i = 0; i < sizeof stopwords / sizeof stopwords[0]; i++) {
        size_t n = strlen(stopwords[i]);
        uint32_t h = hashb(stopwords[i], n) & (STOP_SLOTS - 1);
        while (g_stop[h]) h = (h + 1) & (STOP_SLOTS - 1);
        g_stop[h] = stopwords[i];
        g_stop_len[h] = (unsigned char)n;
    }
}

int lmx_is_stopword(const char *tok, int len)
{
    if (len <= 0 || len > 12) return 0;
    pthread_once(&g_stop_once, stop_init);
    uint32_t h = hashb(tok, (size_t)len) & (STOP_SLOTS - 1);
    while (g_stop[h]) {
        if (g_stop_len[h] == len && memcmp(g_stop[h], tok, (size_t)len) == 0) return 1;
        h = (h + 1) & (STOP_SLOTS - 1);
    }
    return 0;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decode one code point at s[i]; returns its length or 0 when invalid. */
static int decode(const unsigned char *s, int len, int i, uint32_t *cp)
{
    unsigned c = s[i];
    if (c < 0x80) { *cp = c; return c ? 1 : 0; }
    int n;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; }
    else return 0;
    if (i + n > len) return 0;
    for (int k = 1; k < n; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

static int encode(uint32_t cp, char *out)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int is_han(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x20000 && c <= 0x2FA1F) || c == 0x3007;
}

/* Full-width forms to ASCII; ASCII lowercased. */
static uint32_t fold(uint32_t c)
{
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;
    else if (c == 0x3000) c = ' ';
    if (c >= 'A' && c <= 'Z') c += 32;
    else if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9)) c += 32;
    return c;
}

static int is_alnum_cp(uint32_t c)
{
    return (c < 0x80 && isalnum((int)c)) || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
           (c >= 0x3B1 && c <= 0x3C9);
}

/* ---- emitting ------------------------------------------------------------- */

typedef struct {
    const lmx_analyzer *a;
    lmx_token_fn fn;
    void *ctx;
    int rc;
} emitter;

static int emit(emitter *e, int flags, const char *t, int n, int s, int end)
{
    if (n <= 0 || e->rc) return e->rc;
    if (lmx_is_stopword(t, n)) return 0;
    e->rc = e->fn(e->ctx, flags, t, n, s, end);
    return e->rc;
}

/* Lock and return this thread's stemmer slot (another free one when it is
   busy, e.g. more threads than slots), its stemmer made on first use (slot
   0's when that fails: every slot stems alike). */
static unsigned g_thread_seq;
static _Thread_local int tl_stem_home = -1;

static int stem_slot(lmx_analyzer *a)
{
    if (tl_stem_home < 0) tl_stem_home = (int)(__atomic_fetch_add(&g_thread_seq, 1, __ATOMIC_RELAXED) % STEM_SLOTS);
    int slot = tl_stem_home;
    for (int i = 0; i < STEM_SLOTS; i++) {
        int s = (tl_stem_home + i) % STEM_SLOTS;
        if (pthread_mutex_trylock(&a->stem_lock[s]) == 0) { slot = s; goto locked; }
    }
    pthread_mutex_lock(&a->stem_lock[slot]);
locked:
    if (!a->stem[slot] && !(a->stem[slot] = sb_stemmer_new("english", "UTF_8"))) {
        pthread_mutex_unlock(&a->stem_lock[slot]);          /* out of memory: slot 0's, made with the analyzer */
        pthread_mutex_lock(&a->stem_lock[0]);
        slot = 0;
    }
    return slot;
}

/* Latin token: stem words without digits. */
static int emit_latin(emitter *e, char *t, int n, int s, int end)
{
    int digit = 0;
    for (int i = 0; i < n; i++) if (t[i] >= '0' && t[i] <= '9') digit = 1;
    if (!digit && n > 2) {
        if (lmx_is_stopword(t, n)) return 0;
        lmx_analyzer *a = (lmx_analyzer *)e->a;          /* the slots are the only mutable part */
        int slot = stem_slot(a);
        const sb_symbol *st = sb_stemmer_stem(a->stem[slot], (const sb_symbol *)t, n);
        int sl = sb_stemmer_length(a->stem[slot]);
        char buf[256];
        if (st && sl > 0 && sl < (int)sizeof buf) memcpy(buf, st, (size_t)sl);
        else sl = 0;
        pthread_mutex_unlock(&a->stem_lock[slot]);
        if (sl > 0) return emit(e, 0, buf, sl, s, end);
    }
    return emit(e, 0, t, n, s, end);
}

/* A bigram with a one-character stopword in it (电池的, 的应) is noise. */
static int bigram_has_stop(const char *t, int n)
{
    int l1 = u8len((unsigned char)t[0]);
    return lmx_is_stopword(t, l1) || lmx_is_stopword(t + l1, n - l1);
}

static double word_logp(const lmx_analyzer *a, const char *w, int n, int *known)
{
    int i = dict_find(&a->user, w, (size_t)n);
    if (i >= 0 && a->user.logp[i] > -INFINITY) { *known = 1; return a->user.logp[i]; }
    int uprefix = i >= 0;
    i = dict_find(&g_dict, w, (size_t)n);
    if (i >= 0 && g_dict.logp[i] > -INFINITY) { *known = 1; return g_dict.logp[i]; }
    *known = (i >= 0 || uprefix) ? -1 : 0;   /* -1: a prefix of some word */
    return 0;
}

/*
** Segment one Han run of nc code points (normalized text `t` with byte
** offsets toff[k] of char k in t, and original offsets ooff[k]).
*/
#define MAXWORD 16
static int seg_run(emitter *e, const char *t, const int *toff, const int *ooff, int nc)
{
    const lmx_analyzer *a = e->a;
    double *best = malloc(sizeof(double) * (size_t)(nc + 1));
    int *next = malloc(sizeof(int) * (size_t)(nc + 1));
    if (!best || !next) { free(best); free(next); return LM_ENOMEM; }
    /* Right-to-left DP over the DAG of dictionary words (jieba's calc). */
    best[nc] = 0;
    next[nc] = nc;
    for (int i = nc - 1; i >= 0; i--) {
        best[i] = g_dict.min_logp - 5 + best[i + 1];   /* single char fallback */
        next[i] = i + 1;
        for (int j = i + 1; j <= nc && j - i <= MAXWORD; j++) {
            int known;
            double lp = word_logp(a, t + toff[i], toff[j] - toff[i], &known);
            if (known == 0) break;
            if (known == 1) {
                double v = lp + best[j];
                if (j == i + 1 || v > best[i]) { best[i] = v; next[i] = j; }
            }
        }
    }
    int rc = 0;
    int words = a->mode & LMX_WORDS, subs = a->mode & LMX_SUBWORDS, bigr = a->mode & LMX_BIGRAMS;
    int i = 0;
    while (i < nc && !rc) {
        int j = next[i];
        if (!words) {
            /* Pure bigram mode: overlapping bigrams of the run (chars for length 1). */
            if (nc == 1) rc = emit(e, 0, t, toff[1], ooff[0], ooff[1]);
            for (int k = 0; k + 1 < nc && !rc; k++)
                if (!bigram_has_stop(t + toff[k], toff[k + 2] - toff[k]))
                    rc = emit(e, 0, t + toff[k], toff[k + 2] - toff[k], ooff[k], ooff[k + 2]);
            break;
        }
        if (j - i == 1) {
            /* A run of single characters: an unknown word. */
            int k = i;
            while (k < nc && next[k] == k + 1) k++;
            if (k - i == 1) {
                rc = emit(e, 0, t + toff[i], toff[i + 1] - toff[i], ooff[i], ooff[i + 1]);
            } else {
                for (int m = i; m < k && !rc; m++) {
                    rc = emit(e, 0, t + toff[m], toff[m + 1] - toff[m], ooff[m], ooff[m + 1]);
                    if (bigr && m + 1 < k && !rc && !bigram_has_stop(t + toff[m], toff[m + 2] - toff[m]))
                        rc = emit(e, LMX_TOK_COLOCATED, t + toff[m], toff[m + 2] - toff[m], ooff[m], ooff[m + 2]);
                }
            }
            i = k;
            continue;
        }
        rc = emit(e, 0, t + toff[i], toff[j] - toff[i], ooff[i], ooff[j]);
        if (a->mode & LMX_UNIGRAMS)
            for (int k = i; k < j && !rc; k++)
                if (!lmx_is_stopword(t + toff[k], toff[k + 1] - toff[k]))
                    rc = emit(e, LMX_TOK_COLOCATED, t + toff[k], toff[k + 1] - toff[k], ooff[k], ooff[k + 1]);
        if (subs && j - i > 2) {
            for (int len = 2; len <= 3 && len < j - i && !rc; len++)
                for (int s = i; s + len <= j && !rc; s++) {
                    int known;
                    word_logp(a, t + toff[s], toff[s + len] - toff[s], &known);
                    if (known == 1)
                        rc = emit(e, LMX_TOK_COLOCATED, t + toff[s], toff[s + len] - toff[s], ooff[s], ooff[s + len]);
                }
        }
        if (bigr) {
            /* Overlapping bigrams starting inside this word (the last one
               reaches into the next word), except those already emitted. */
            for (int k = i; k < j && k + 1 < nc && !rc; k++) {
                if (k == i && j == i + 2) continue;              /* the word itself */
                if (subs && k + 2 <= j && j - i > 2) {
                    int known;
                    word_logp(a, t + toff[k], toff[k + 2] - toff[k], &known);
                    if (known == 1) continue;                     /* a sub-word */
                }
                if (bigram_has_stop(t + toff[k], toff[k + 2] - toff[k])) continue;
                rc = emit(e, LMX_TOK_COLOCATED, t + toff[k], toff[k + 2] - toff[k], ooff[k], ooff[k + 2]);
            }
        }
        i = j;
    }
    free(best);
    free(next);
    return rc ? rc : e->rc;
}

/* Convert a Han run with OpenCC t2s. */
static char *t2s(const char *s, size_t n)
{
    pthread_mutex_lock(&g_cc_lock);
    char *r = opencc_convert_utf8(g_cc, s, n);
    pthread_mutex_unlock(&g_cc_lock);
    return r;
}

int lmx_analyze(const lmx_analyzer *a, const char *text, int len, int for_query, lmx_token_fn fn, void *ctx)
{
    const unsigned char *s = (const unsigned char *)text;
    emitter e = { a, fn, ctx, 0 };
    /* Validate first: nothing is emitted for invalid input. */
    for (int i = 0; i < len;) {
        uint32_t cp;
        int n = decode(s, len, i, &cp);
        if (!n) return LM_EINVAL_UTF8;
        i += n;
    }
    int cap = 256;
    char *buf = malloc((size_t)cap * 4 + 8);
    int *toff = malloc(sizeof(int) * (size_t)(cap + 2));
    int *ooff = malloc(sizeof(int) * (size_t)(cap + 2));
    if (!buf || !toff || !ooff) { free(buf); free(toff); free(ooff); return LM_ENOMEM; }
    int rc = 0, i = 0;
    while (i < len && !rc) {
        uint32_t cp;
        int n = decode(s, len, i, &cp);
        uint32_t c = fold(cp);
        if (is_han(c)) {
            /* Collect the Han run (chunks of at most 4096 chars). */
            int start = i, nc = 0, trad = 0;
            while (i < len && nc < 4096) {
                n = decode(s, len, i, &cp);
                if (!is_han(fold(cp))) break;
                trad |= is_trad(cp);
                i += n;
                nc++;
            }
            char *conv = trad ? t2s(text + start, (size_t)(i - start)) : NULL;
            const char *src = conv ? conv : text + start;
            int srclen = conv ? (int)strlen(conv) : i - start;
            /* Count converted code points. */
            int cc = 0;
            for (int k = 0; k < srclen; k += u8len((unsigned char)src[k])) cc++;
            if (cc + 2 > cap) {
                cap = cc + 2;
                char *nb = realloc(buf, (size_t)cap * 4 + 8);
                if (nb) buf = nb;
                int *nt = realloc(toff, sizeof(int) * (size_t)(cap + 2));
                if (nt) toff = nt;
                int *no = realloc(ooff, sizeof(int) * (size_t)(cap + 2));
                if (no) ooff = no;
                if (!nb || !nt || !no) { rc = LM_ENOMEM; if (conv) opencc_convert_utf8_free(conv); break; }
            }
            memcpy(buf, src, (size_t)srclen);
            int k = 0, oc = start;
            for (int ci = 0; ci < cc; ci++) {
                toff[ci] = k;
                if (cc == nc) {
                    ooff[ci] = oc;
                    oc += u8len(s[oc]);
                } else {
                    ooff[ci] = ci == 0 ? start : start;   /* whole span, see below */
                }
                k += u8len((unsigned char)src[k]);
            }
            toff[cc] = k;
            ooff[cc] = cc == nc ? oc : i;
            if (cc != nc) {
                /* Lengths differ: every token spans the run's original bytes. */
                for (int ci = 0; ci <= cc; ci++) ooff[ci] = ci == cc ? i : start;
                for (int ci = 1; ci < cc; ci++) ooff[ci] = start;
            }
            if (conv) opencc_convert_utf8_free(conv);
            if (cc != nc) {
                /* Give every token the whole span [start, i). */
                for (int ci = 0; ci < cc; ci++) ooff[ci] = start;
                ooff[cc] = i;
                /* A token [x, y) maps to [start, i) only if y == cc; fix ends: */
                int *oo = malloc(sizeof(int) * (size_t)(cc + 1));
                if (oo) { for (int ci = 0; ci <= cc; ci++) oo[ci] = ci == 0 ? start : i; memcpy(ooff, oo, sizeof(int) * (size_t)(cc + 1)); free(oo); }
            }
            rc = seg_run(&e, buf, toff, ooff, cc);
            continue;
        }
        if (is_alnum_cp(c)) {
            int start = i, bl = 0;
            while (i < len) {
                n = decode(s, len, i, &cp);
                uint32_t f = fold(cp);
                /* Keep "6061-t6": a hyphen between alnum parts when a digit is near. */
                if (!is_alnum_cp(f)) {
                    if (f == '-' && i + 1 < len && bl > 0 && bl < 60) {
                        uint32_t nx;
                        int nn = decode(s, len, i + 1, &nx);
                        int dig = (buf[bl - 1] >= '0' && buf[bl - 1] <= '9');
                        if (nn && is_alnum_cp(fold(nx)) && (dig || (fold(nx) >= '0' && fold(nx) <= '9'))) {
                            buf[bl++] = '-';
                            i += n;
                            continue;
                        }
                    }
                    break;
                }
                if (bl < 250) bl += encode(f, buf + bl);
                i += n;
            }
            rc = emit_latin(&e, buf, bl, start, i);
            continue;
        }
        i += n;   /* separator */
    }
    free(buf);
    free(toff);
    free(ooff);
    (void)for_query;
    return rc ? rc : e.rc;
}
