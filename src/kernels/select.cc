// The one place that chooses kernel variants (see select.h). The build
// decides which variants exist (TM2_KERNELS_HWY is set by CMake when
// TM2_KERNELS=hwy, TM2_KERNELS_CM4DSP on the mcu target); Highway's
// dispatch decides the ISA inside them.
#include "kernels/select.h"

#include "kernels/act4/act4_bands.h"

#if defined(TM2_KERNELS_HWY)
#include "kernels/hwy/hwy_kernels.h"
#endif
#if defined(TM2_KERNELS_CM4DSP)
#include "kernels/cm4/cm4_kernels.h"
#endif

namespace tm2 {

namespace {
bool g_relaxed_dot_native = true;
}  // namespace

void SetRelaxedDotNative(bool native) { g_relaxed_dot_native = native; }
bool RelaxedDotNative() { return g_relaxed_dot_native; }

const KernelTable& ReferenceKernels() {
  static const KernelTable table = {
      "ref",
      qs8_conv2d_ref,
      qs8_depthwise_conv2d_ref,
      qs8_fully_connected_ref,
      s8_max_pool2d_ref,
      qs8_avg_pool2d_ref,
      qs8_global_avg_pool_ref,
      qs8_requantize_ref,
      nullptr,
      nullptr,
      nullptr,
      nullptr,
      nullptr,
      nullptr,
  };
  return table;
}

#if defined(TM2_KERNELS_HWY)
namespace {
// Highway's choice of target resolved once, into plain function pointers
// (hwy_kernels.h). Elementwise requantize stays reference: it only runs at
// a fusion (concat), a few hundred bytes per inference. Packed int4
// activations run the same int8 kernels band by band (act4_bands.h).
KernelTable MakeHwyTable() {
  KernelTable t{};
  t.name = HwyTableName();
  SetConv2DHwy(&t);
  SetDepthwiseConv2DHwy(&t);
  SetFullyConnectedHwy(&t);
  SetMaxPool2DHwy(&t);
  SetAvgPool2DHwy(&t);
  SetGlobalAvgPoolHwy(&t);
  t.requantize = qs8_requantize_ref;
  return t;
}
}  // namespace
#endif

#if defined(TM2_KERNELS_CM4DSP)
namespace {
// Requantize touches each byte once and stays reference. The DSP variants
// widen weights per call into an 8 KB tile instead of packing them at Init:
// on the MCU the weights stay in flash, and a packed int16 copy would
// double their size in scarce RAM. Packed int4 activations: the same
// kernels band by band, in at most 2 KB of stack (act4_bands.h).
const KernelTable kCm4DspTable = {
    "cm4dsp",
    act4::Conv2D<qs8_conv2d_cm4dsp, act4::kCm4Budget>,
    act4::DepthwiseConv2D<qs8_depthwise_conv2d_cm4dsp, act4::kCm4Budget>,
    act4::FullyConnected<qs8_fully_connected_cm4dsp, act4::kCm4Budget>,
    act4::MaxPool2D<s8_max_pool2d_cm4dsp, act4::kCm4Budget>,
    act4::AvgPool2D<qs8_avg_pool2d_cm4dsp, act4::kCm4Budget>,
    qs8_global_avg_pool_cm4dsp,
    qs8_requantize_ref,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};
}  // namespace
#endif

const KernelTable& SelectKernels() {
#if defined(TM2_KERNELS_HWY)
  static const KernelTable table = MakeHwyTable();
  return table;
#elif defined(TM2_KERNELS_CM4DSP)
  return kCm4DspTable;
#else
  return ReferenceKernels();
#endif
}

KernelTable SelectKernelsNow() {
#if defined(TM2_KERNELS_HWY)
  return MakeHwyTable();
#else
  return SelectKernels();
#endif
}

}  // namespace tm2
