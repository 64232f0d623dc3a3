#pragma once
// The attention step of ball attention (SPEC §3 "Ball attention", step 3): per ball and head,
// softmax(q kᵀ / √E + σ_h · D) v, with D the Euclidean distances between the ball's positions.
//
// Two CPU implementations with the same arithmetic:
//  - reference: the published math, cdist then scaled-dot-product attention with the bias as a
//    float mask. Its [balls, H, m, m] bias (and, for training, the attention matrix) is the
//    quadratic memory the paper names as a limitation.
//  - blocked: an autograd function that processes a block of query rows at a time and keeps only
//    the output and the row-wise log-sum-exp for the backward pass, which recomputes the scores
//    block by block (the flash-attention recurrence). Peak memory is one block's scores.
// `ball_attention` picks one; tests and benchmarks can force a choice with AttentionBackendGuard.
#include <torch/torch.h>

#include <cstdint>

namespace erwin {

enum class AttentionBackend {
  Auto,       // blocked when the bias tensor would exceed kBlockedAttentionBytes, else reference
  Reference,  // always cdist + scaled_dot_product_attention
  Blocked,    // always the blocked autograd function
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

// q, k, v: [balls, H, m, E]; pos: [balls, m, d] (no gradient flows into it: the published model
// detaches positions); sigma: [1, H, 1, 1]. Returns [balls, H, m, E].
torch::Tensor ball_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& pos, const torch::Tensor& sigma);

torch::Tensor ball_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& v, const torch::Tensor& pos,
                                       const torch::Tensor& sigma);

// `max_block_elements` bounds the scores of one block (balls · H · rows · m); 0 picks a default
// of 16M elements (64 MiB in float32).
torch::Tensor ball_attention_blocked(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, const torch::Tensor& pos,
                                     const torch::Tensor& sigma, int64_t max_block_elements = 0);

}  // namespace erwin
