#pragma once
// The attention step of ball attention (SPEC §3 "Ball attention", step 3): per ball and head,
// softmax(q kᵀ / √E + σ_h · D) v, with D the Euclidean distances between the ball's positions.
//
// Implementations with the same arithmetic:
//  - fused: one kernel per pass (erwin/model/ball_attention_kernels.h) that computes scores from
//    the positions on the fly, keeps only the output and the row-wise log-sum-exp, and recomputes
//    the scores in the backward pass; vectorised on the CPU, a CUDA kernel on the GPU, float32
//    and bfloat16 with float32 arithmetic. It reads q, k, v straight from the qkv projection's
//    packed output and writes heads concatenated, so the model permutes nothing around it.
//  - reference: the published math, cdist then scaled-dot-product attention with the bias as a
//    float mask. Its [balls, H, m, m] bias (and, for training, the attention matrix) is the
//    quadratic memory the paper names as a limitation.
//  - blocked: an autograd function that processes a block of query rows at a time and keeps only
//    the output and the row-wise log-sum-exp for the backward pass, which recomputes the scores
//    block by block (the flash-attention recurrence). Peak memory is one block's scores.
// `ball_attention` picks one; tests and benchmarks can force a choice with AttentionBackendGuard.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace erwin {

enum class AttentionBackend {
  Auto,       // fused where its kernels take the tensors (float32/bfloat16, on the CPU or, in
              // builds with the gpu/ kernels, CUDA); else blocked when the bias tensor would
              // exceed kBlockedAttentionBytes, else reference
  Reference,  // always cdist + scaled_dot_product_attention
  Blocked,    // always the blocked autograd function
  Fused,      // always the fused kernels of the tensors' device
  Portable,   // the fused algorithm's shared code (ball_attention_math.h) run on the CPU the way
              // the CUDA kernels run it: slow, for tests of what the GPU computes
};

// Above this size of the [balls, H, m, m] bias, Auto switches to the blocked computation.
constexpr int64_t kBlockedAttentionBytes = int64_t{256} << 20;

// Sets the backend of ball_attention on this thread while alive (restores the previous one).
class AttentionBackendGuard {
 public:
  explicit AttentionBackendGuard(AttentionBackend backend);
  ~AttentionBackendGuard();
  AttentionBackendGuard(const AttentionBackendGuard&) = delete;
  AttentionBackendGuard& operator=(const AttentionBackendGuard&) = delete;

 private:
  AttentionBackend previous_;
};

AttentionBackend current_attention_backend();

// The backend's name as the CLI spells it ("auto", "reference", "blocked", "fused", "portable"),
// and back (std::invalid_argument naming the choices for anything else).
const char* attention_backend_name(AttentionBackend backend);
AttentionBackend parse_attention_backend(const std::string& name);

// Whether the fused kernels of this build take tensors of this dtype and device.
bool fused_attention_supports(const torch::Tensor& qkv);

// q, k, v: [balls, H, m, E]; pos: [balls, m, d] (no gradient flows into it: the published model
// detaches positions); sigma: [1, H, 1, 1]. Returns [balls, H, m, E].
torch::Tensor ball_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& pos, const torch::Tensor& sigma);

torch::Tensor ball_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& v, const torch::Tensor& pos,
                                       const torch::Tensor& sigma);

// The model's entry point: qkv is the qkv projection's output viewed as [balls, m, H, E, 3] (q, k,
// v interleaved innermost, SPEC §3 step 2), pos [balls, m, d], sigma [1, H, 1, 1]. Returns
// [balls, m, H, E]: heads concatenated head-major once reshaped to [balls · m, H · E].
torch::Tensor ball_attention_packed(const torch::Tensor& qkv, const torch::Tensor& pos,
                                    const torch::Tensor& sigma);

// The fused computation on separate q, k, v ([balls, H, m, E], as ball_attention takes them);
// `portable` runs the shared code as the CUDA kernels would (see AttentionBackend::Portable).
torch::Tensor ball_attention_fused(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& pos,
                                   const torch::Tensor& sigma, bool portable = false);

// `max_block_elements` bounds the scores of one block (balls · H · rows · m); 0 picks a default
// of 16M elements (64 MiB in float32).
torch::Tensor ball_attention_blocked(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, const torch::Tensor& pos,
                                     const torch::Tensor& sigma, int64_t max_block_elements = 0);

}  // namespace erwin
