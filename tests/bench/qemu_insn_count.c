/* Exact guest instruction counts between marks, as a QEMU TCG plugin
 * (QEMU 7.2, plugin API version 1), for the Cortex-M4 bench firmware.
 *
 * Every translated instruction gets an inline 64-bit add (no call, so the
 * count is exact and cheap); the instruction at `mark=ADDR` (the firmware's
 * tm2_insn_mark function, found with nm) also gets a callback that records
 * the running count. At exit the plugin prints, for each pair of marks
 * (start, stop), the instructions executed between them, and the total.
 *
 *   cc -shared -fPIC -O2 -o qemu_insn_count.so qemu_insn_count.c
 *   qemu-system-arm ... -plugin ./qemu_insn_count.so,mark=0x1234 -d plugin
 *
 * Debian ships no qemu-plugin.h, so the few API entry points used here are
 * declared below, with the types of QEMU 7.2's include/qemu/qemu-plugin.h.
 * Single vCPU only (mps2-an386 has one). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t; /* only passed through */

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb* tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void* userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void* userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb* tb);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb* tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn* insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn* insn, enum qemu_plugin_op op,
                                                void* ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn* insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void* userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void* userdata);
void qemu_plugin_outs(const char* string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

enum { kMaxMarks = 4096 };
static uint64_t g_count;
static uint64_t g_mark_addr = UINT64_MAX;
static uint64_t g_marks[kMaxMarks];
static int g_n_marks;

static void OnMark(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  (void)userdata;
  /* The inline add of the mark instruction itself runs after this
   * callback; both ends of a pair see the same offset, so it cancels. */
  if (g_n_marks < kMaxMarks) g_marks[g_n_marks++] = g_count;
}

static void OnTranslate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_count, 1);
    if (qemu_plugin_insn_vaddr(insn) == g_mark_addr) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, OnMark, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
  }
}

static void OnExit(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  char line[128];
  for (int i = 0; i + 1 < g_n_marks; i += 2) {
    snprintf(line, sizeof(line), "insn region %d: %" PRIu64 "\n", i / 2, g_marks[i + 1] - g_marks[i]);
    qemu_plugin_outs(line);
  }
  snprintf(line, sizeof(line), "insn total: %" PRIu64 "\n", g_count);
  qemu_plugin_outs(line);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t* info, int argc,
                                                               char** argv) {
  (void)info;
  for (int i = 0; i < argc; ++i) {
    if (strncmp(argv[i], "mark=", 5) == 0) {
      /* Thumb function symbols carry bit 0; instructions sit at even
       * addresses. */
      g_mark_addr = strtoull(argv[i] + 5, NULL, 0) & ~(uint64_t)1;
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, OnTranslate);
  qemu_plugin_register_atexit_cb(id, OnExit, NULL);
  return 0;
}
