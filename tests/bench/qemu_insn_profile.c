/* Exact guest instructions per code address, as a QEMU TCG plugin (QEMU
 * 7.2, plugin API version 1), for a per-function profile of Cortex-M4
 * firmware (tests/bench/mcu_insn_profile.sh adds up the functions).
 *
 * Every translated instruction below 4 MB (mps2-an386's code memory) gets
 * an inline 64-bit add into its own counter: no callbacks, so the counts
 * are exact and the run stays fast. At exit the plugin writes
 * "ADDRESS COUNT" lines (hex, decimal) for every address that ran to the
 * file named by out=FILE.
 *
 *   cc -shared -fPIC -O2 -o qemu_insn_profile.so qemu_insn_profile.c
 *   qemu-system-arm ... -plugin ./qemu_insn_profile.so,out=counts.txt -d plugin
 *
 * Declarations as in qemu_insn_count.c (Debian ships no qemu-plugin.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb* tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void* userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb* tb);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb* tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn* insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn* insn, enum qemu_plugin_op op,
                                                void* ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void* userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* Thumb instructions sit at even addresses: one counter per halfword. */
enum { kCodeBytes = 4 << 20, kSlots = kCodeBytes / 2 };
static uint64_t* g_counts;
static char g_out[1024] = "insn_profile.txt";

static void OnTranslate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    const uint64_t slot = qemu_plugin_insn_vaddr(insn) >> 1;
    if (slot < kSlots)
      qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_counts[slot], 1);
  }
}

static void OnExit(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  FILE* f = fopen(g_out, "w");
  if (!f) return;
  for (uint64_t i = 0; i < kSlots; ++i)
    if (g_counts[i]) fprintf(f, "%" PRIx64 " %" PRIu64 "\n", i << 1, g_counts[i]);
  fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t* info, int argc,
                                                               char** argv) {
  (void)info;
  for (int i = 0; i < argc; ++i)
    if (strncmp(argv[i], "out=", 4) == 0) snprintf(g_out, sizeof(g_out), "%s", argv[i] + 4);
  g_counts = calloc(kSlots, sizeof(uint64_t));
  if (!g_counts) return 1;
  qemu_plugin_register_vcpu_tb_trans_cb(id, OnTranslate);
  qemu_plugin_register_atexit_cb(id, OnExit, NULL);
  return 0;
}
