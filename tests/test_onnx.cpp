// ONNX import: the decoded weights and attributes of hand-built files
// (tests/data/onnx/make_onnx.py) against the closed forms they were written
// from; batch-norm folding against the unfolded arithmetic; the float forward
// pass against a direct convolution written here and against PyTorch's logits
// for a file torch.onnx.export wrote; bad files refused with the node named.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "infer/forward.hpp"
#include "onnx/import.hpp"

using namespace cimmc;
using namespace cimmc::infer;

namespace {

std::string data(const std::string& name) { return std::string(CIMMC_SOURCE_DIR) + "/tests/data/onnx/" + name; }

std::string onnx_error(const std::string& file) {
  try {
    onnx::load_network(data(file));
  } catch (const onnx::OnnxError& e) {
    return e.what();
  }
  return "no error";
}

float conv_w(int o, int ky, int kx) { return static_cast<float>(o * 9 + ky * 3 + kx - 8) / 8.f; }

}  // namespace

TEST(Onnx, DecodesInitializersNodesAndAttributes) {
  const onnx::Model m = onnx::read_model(data("tiny_cnn.onnx"));
  EXPECT_EQ(m.opset, 13);
  ASSERT_EQ(m.nodes.size(), 6u);
  EXPECT_EQ(m.nodes[0].op_type, "Conv");
  EXPECT_EQ(m.nodes[0].name, "conv1");
  ASSERT_NE(m.nodes[0].attr("pads"), nullptr);
  EXPECT_EQ(m.nodes[0].attr("pads")->ints, (std::vector<std::int64_t>{1, 1, 1, 1}));
  EXPECT_FLOAT_EQ(m.nodes[1].attr("epsilon")->f, 1.0f);
  EXPECT_FLOAT_EQ(m.nodes[5].attr("alpha")->f, 0.5f);
  EXPECT_EQ(m.nodes[5].attr("transB")->i, 1);
  const onnx::Tensor* w = nullptr;
  for (const onnx::Tensor& t : m.initializers)
    if (t.name == "W") w = &t;
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dims, (std::vector<std::int64_t>{2, 1, 3, 3}));
  ASSERT_EQ(w->f.size(), 18u);
  for (int i = 0; i < 18; ++i) EXPECT_EQ(w->f[i], (i - 8) / 8.f);
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].dims, (std::vector<std::int64_t>{-1, 1, 4, 4}));  // symbolic batch
}

TEST(Onnx, ImportsChainFoldsBatchNormAndScalesGemm) {
  const Network net = onnx::load_network(data("tiny_cnn.onnx"));
  ASSERT_EQ(net.ops.size(), 5u);  // conv(+bn), relu, maxpool, flatten, linear
  const Op& c = net.ops[0];
  ASSERT_EQ(c.kind, OpKind::conv);
  EXPECT_EQ(c.out.c, 2);
  EXPECT_EQ(c.out.h, 4);  // pad 1 keeps 4 x 4
  // BN: g = scale / sqrt(var + eps) = {2 / 2, 0.5 / 1}; b' = (b - mean) g + beta.
  const double g[2] = {1.0, 0.5};
  for (int o = 0; o < 2; ++o)
    for (int k = 0; k < 9; ++k) EXPECT_FLOAT_EQ(c.weight[o * 9 + k], conv_w(o, k / 3, k % 3) * g[o]);
  EXPECT_FLOAT_EQ(c.bias[0], (0.5 - 0.25) * 1.0 + 0.125);
  EXPECT_FLOAT_EQ(c.bias[1], (-0.25 - 0.5) * 0.5 - 1.0);
  EXPECT_EQ(net.ops[1].kind, OpKind::relu);
  EXPECT_EQ(net.ops[2].kind, OpKind::maxpool);
  EXPECT_EQ(net.ops[2].out.h, 2);
  EXPECT_EQ(net.ops[3].kind, OpKind::flatten);
  const Op& fc = net.ops[4];
  ASSERT_EQ(fc.kind, OpKind::linear);
  ASSERT_EQ(fc.K(), 8);
  ASSERT_EQ(fc.N(), 3);
  for (int n = 0; n < 3; ++n)
    for (int k = 0; k < 8; ++k) EXPECT_FLOAT_EQ(fc.weight[n * 8 + k], 0.5f * (n * 8 + k) / 16.f);  // alpha B
  EXPECT_EQ(fc.bias, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(net.classes(), 3);
}

TEST(Onnx, MatMulWeightsAreTransposedAndAddBecomesBias) {
  const Network net = onnx::load_network(data("tiny_mlp.onnx"));  // M stored as float_data
  ASSERT_EQ(net.ops.size(), 2u);
  const Op& l = net.ops[0];
  const float M[4][2] = {{0.5f, -1.0f}, {0.25f, 2.0f}, {-0.75f, 1.5f}, {1.0f, -0.5f}};
  for (int n = 0; n < 2; ++n)
    for (int k = 0; k < 4; ++k) EXPECT_EQ(l.weight[n * 4 + k], M[k][n]);
  EXPECT_EQ(l.bias, (std::vector<float>{0.5f, -2.0f}));
  // y = relu(x M + a) for x = (1, 2, 3, 4): (0.5 + 0.5 - 2.25 + 4 + 0.5, -1 + 4 + 4.5 - 2 - 2)
  const std::vector<float> y = forward(net, {1, 2, 3, 4}, 1, [](int, const Op& op, const std::vector<float>& cols,
                                                                  std::int64_t m, std::vector<float>& out) {
    float_gemm(op, cols, m, out);
  });
  EXPECT_FLOAT_EQ(y[0], 3.25f);
  EXPECT_FLOAT_EQ(y[1], 3.5f);
}

// The float pass against a direct evaluation of the ONNX graph as written:
// padded convolution with the stored weights, batch-norm unfolded, max-pool,
// Gemm with alpha.
TEST(Onnx, FloatForwardEqualsDirectEvaluation) {
  const Network net = onnx::load_network(data("tiny_cnn.onnx"));
  const int B = 3;
  std::vector<float> x(B * 16);
  for (int i = 0; i < B * 16; ++i) x[i] = static_cast<float>((i * 7) % 11) / 10.f - 0.3f;
  const std::vector<float> y = forward(net, x, B, [](int, const Op& op, const std::vector<float>& cols, std::int64_t m,
                                                     std::vector<float>& out) { float_gemm(op, cols, m, out); });
  const double bc[2] = {0.5, -0.25}, s[2] = {2, 0.5}, bb[2] = {0.125, -1}, mu[2] = {0.25, 0.5}, var[2] = {3, 0};
  for (int b = 0; b < B; ++b) {
    double act[2][4][4];
    for (int o = 0; o < 2; ++o)
      for (int yy = 0; yy < 4; ++yy)
        for (int xx = 0; xx < 4; ++xx) {
          double v = bc[o];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = yy + ky - 1, ix = xx + kx - 1;
              if (iy >= 0 && iy < 4 && ix >= 0 && ix < 4) v += conv_w(o, ky, kx) * x[b * 16 + iy * 4 + ix];
            }
          v = (v - mu[o]) / std::sqrt(var[o] + 1.0) * s[o] + bb[o];
          act[o][yy][xx] = v > 0 ? v : 0;
        }
    double flat[8];
    for (int o = 0; o < 2; ++o)
      for (int py = 0; py < 2; ++py)
        for (int px = 0; px < 2; ++px)
          flat[o * 4 + py * 2 + px] = std::max(std::max(act[o][2 * py][2 * px], act[o][2 * py][2 * px + 1]),
                                               std::max(act[o][2 * py + 1][2 * px], act[o][2 * py + 1][2 * px + 1]));
    for (int n = 0; n < 3; ++n) {
      double v = n + 1.0;
      for (int k = 0; k < 8; ++k) v += 0.5 * (n * 8 + k) / 16.0 * flat[k];
      EXPECT_NEAR(y[b * 3 + n], v, 1e-5) << "image " << b << " class " << n;
    }
  }
}

TEST(Onnx, BadFilesNameTheNodeAndTheProblem) {
  std::string e = onnx_error("bad_op.onnx");
  EXPECT_NE(e.find("node 'act1' (Sigmoid): operator 'Sigmoid' is not supported"), std::string::npos) << e;
  e = onnx_error("bad_missing.onnx");
  EXPECT_NE(e.find("node 'conv1' (Conv): input 'W' (weights) is not stored in the file"), std::string::npos) << e;
  e = onnx_error("bad_shape.onnx");
  EXPECT_NE(e.find("node 'fc' (Gemm): weights 'G' [3, 9] (transposed) take 9 inputs, but its input has 8"),
            std::string::npos) << e;
  e = onnx_error("bad_pad.onnx");
  EXPECT_NE(e.find("node 'pad1' (Pad): pads [0, 0, 1, 1, 0, 0, 1, 1] are not supported"), std::string::npos) << e;

}

// The Pad of zeros PyTorch writes before AveragePool is dropped: the network
// is average-pool then Gemm, evaluated here by hand.
TEST(Onnx, ZeroPadBeforeAveragePoolIsANoOp) {
  const Network net = onnx::load_network(data("pad_pool.onnx"));
  ASSERT_EQ(net.ops.size(), 3u);  // avgpool, flatten, linear
  EXPECT_EQ(net.ops[0].kind, OpKind::avgpool);
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i * i % 7) / 4.f;
  const std::vector<float> y = forward(net, x, 1, [](int, const Op& op, const std::vector<float>& cols, std::int64_t m,
                                                     std::vector<float>& out) { float_gemm(op, cols, m, out); });
  for (int n = 0; n < 3; ++n) {
    double v = n + 1.0;
    for (int py = 0; py < 2; ++py)
      for (int px = 0; px < 2; ++px) {
        const int i0 = 2 * py * 4 + 2 * px;
        const double avg = (x[i0] + x[i0 + 1] + x[i0 + 4] + x[i0 + 5]) / 4.0;
        v += (n * 4 + py * 2 + px) / 16.0 * avg;
      }
    EXPECT_NEAR(y[n], v, 1e-6) << "class " << n;
  }
}

// x.view(x.size(0), -1) with a dynamic batch: the Shape ... Concat nodes are
// evaluated at import and the Reshape is a flatten; the Gemm then takes the
// 16 pixels in order, evaluated here by hand.
TEST(Onnx, ShapeArithmeticOfAViewIsAFlatten) {
  const Network net = onnx::load_network(data("view_dynamic.onnx"));
  ASSERT_EQ(net.ops.size(), 2u);
  EXPECT_EQ(net.ops[0].kind, OpKind::flatten);
  EXPECT_EQ(net.ops[1].kind, OpKind::linear);
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i % 5) - 1.5f;
  const std::vector<float> y = forward(net, x, 2, [](int, const Op& op, const std::vector<float>& cols, std::int64_t m,
                                                     std::vector<float>& out) { float_gemm(op, cols, m, out); });
  for (int b = 0; b < 2; ++b)
    for (int n = 0; n < 3; ++n) {
      double v = n + 1.0;
      for (int k = 0; k < 16; ++k) v += (n * 16 + k) / 16.0 * x[b * 16 + k];
      EXPECT_NEAR(y[b * 3 + n], v, 1e-5) << "image " << b << " class " << n;
    }
}

// A network exported by torch.onnx.export (tests/data/onnx/make_torch_onnx.py:
// padded and strided convs, batch-norm folded by torch, nn.AvgPool2d as Pad +
// AveragePool, x.view(x.size(0), -1) with a dynamic batch): cimmc's float pass gives the
// logits PyTorch computed for the same three inputs.
TEST(Onnx, TorchExportGivesPyTorchsLogits) {
  const Network net = onnx::load_network(data("torch_cnn.onnx"));
  std::vector<float> x(3 * 784);
  for (int i = 0; i < 3 * 784; ++i) x[i] = static_cast<float>(((i * 7) % 11) / 10.0 - 0.3);
  const std::vector<float> y = forward(net, x, 3, [](int, const Op& op, const std::vector<float>& cols, std::int64_t m,
                                                     std::vector<float>& out) { float_gemm(op, cols, m, out); });
  std::ifstream in(data("torch_cnn_logits.txt"));
  std::string header;
  std::getline(in, header);
  ASSERT_EQ(y.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    double expected = 0;
    ASSERT_TRUE(in >> expected) << "logit " << i;
    EXPECT_NEAR(y[i], expected, 2e-6) << "image " << i / 10 << " class " << i % 10;
  }
}

TEST(Onnx, TruncatedOrForeignBytesAreRefused) {
  std::ifstream in(data("tiny_cnn.onnx"), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  for (std::size_t cut : {bytes.size() / 2, bytes.size() - 3}) {
    try {
      onnx::parse_model(std::string_view(bytes).substr(0, cut), "cut.onnx");
      ADD_FAILURE() << "accepted " << cut << " bytes";
    } catch (const onnx::OnnxError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cut.onnx: ", 0), 0u) << e.what();
    }
  }
  EXPECT_THROW(onnx::parse_model("name: not protobuf\n", "text.onnx"), onnx::OnnxError);
}
