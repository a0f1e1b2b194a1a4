// Node categories and their colours.

const byOp = new Map();
function add(cat, ops) {
  for (const op of ops.split(/\s+/)) if (op) byOp.set(op.toLowerCase(), cat);
}
add('layer', `Conv ConvTranspose ConvInteger Gemm MatMul MatMulInteger Einsum LSTM GRU RNN Attention
  MultiHeadAttention FullyConnected CONV_2D DEPTHWISE_CONV_2D CONV_3D TRANSPOSE_CONV FULLY_CONNECTED
  BATCH_MATMUL EMBEDDING_LOOKUP Embedding Linear Dense Conv1D Conv2D Conv3D DepthwiseConv2D Gather
  GatherElements GatherND UNIDIRECTIONAL_SEQUENCE_LSTM LSTM_ SVDF`);
add('activation', `Relu LeakyRelu PRelu Sigmoid Tanh Softmax LogSoftmax Elu Selu Celu Gelu HardSigmoid
  HardSwish Softplus Softsign Mish ThresholdedRelu Erf Swish SiLU RELU RELU6 RELU_N1_TO_1 LOGISTIC TANH
  SOFTMAX LOG_SOFTMAX HARD_SWISH GELU PRELU LEAKY_RELU ELU Clip`);
add('normalization', `BatchNormalization LayerNormalization InstanceNormalization GroupNormalization
  LpNormalization LRN MeanVarianceNormalization RMSNormalization SimplifiedLayerNormalization
  SkipLayerNormalization L2_NORMALIZATION LOCAL_RESPONSE_NORMALIZATION Dropout`);
add('pooling', `MaxPool AveragePool GlobalAveragePool GlobalMaxPool LpPool GlobalLpPool MaxRoiPool RoiAlign
  MaxUnpool AVERAGE_POOL_2D MAX_POOL_2D L2_POOL_2D MEAN ReduceMean ReduceMax ReduceMin ReduceSum
  ReduceProd ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceSumSquare`);
add('shape', `Reshape Transpose Flatten Squeeze Unsqueeze Concat Split Slice Shape Size Expand Tile Pad
  Gather Identity Cast CastLike DepthToSpace SpaceToDepth Resize Upsample ConstantOfShape Range
  RESHAPE TRANSPOSE SQUEEZE CONCATENATION SPLIT SPLIT_V SLICE STRIDED_SLICE PAD PADV2 EXPAND_DIMS
  RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR PACK UNPACK GATHER CAST SHAPE TILE Constant Where
  ScatterND ScatterElements Trilu OneHot NonZero TopK ArgMax ArgMin`);
add('control', `If Loop Scan WHILE IF CALL_ONCE Sequence SequenceConstruct SequenceAt SequenceInsert
  SplitToSequence ConcatFromSequence Optional OptionalGetElement`);
add('quantization', `QuantizeLinear DequantizeLinear DynamicQuantizeLinear QLinearConv QLinearMatMul
  QLinearAdd QLinearMul QUANTIZE DEQUANTIZE FAKE_QUANT MatMulNBits`);

/** category returns the colour class of a View node. */
export function category(n) {
  if (n.category) return n.category;
  switch (n.kind) {
    case 'input':
    case 'output':
      return 'data';
    case 'stub':
      return 'tensor';
    case 'group':
      return 'group';
  }
  const c = byOp.get(String(n.label || '').toLowerCase());
  if (c) return c;
  if (String(n.label || '').includes('::') || String(n.label || '').includes('.')) return 'custom';
  return 'op';
}

const light = {
  layer: '#3367b0',
  activation: '#9b2d2d',
  normalization: '#2f7a52',
  pooling: '#2d6a78',
  shape: '#6c5a3d',
  control: '#6d3b8e',
  quantization: '#a35a12',
  custom: '#5a5a5a',
  data: '#4a4a4a',
  tensor: '#7a7a7a',
  group: '#cfd8e3',
  op: '#444d5c',
};
const dark = {
  layer: '#4f86d6',
  activation: '#c45151',
  normalization: '#3f9d6b',
  pooling: '#3b8d9e',
  shape: '#8d7650',
  control: '#8f5bb5',
  quantization: '#c9782c',
  custom: '#7b7b7b',
  data: '#5f6673',
  tensor: '#6a6a6a',
  group: '#2c3542',
  op: '#5d6878',
};

// The cost heat map (cost.js): heat0 no MACs, heat1…heat7 by log MACs,
// heatu unknown.
const heat = ['#9aa3ae', '#c9a227', '#d48a1f', '#d9711c', '#d5571d', '#c63d1f', '#ad2720', '#8e0f14'];
heat.forEach((c, k) => {
  light['heat' + k] = c;
  dark['heat' + k] = c;
});
light.heatu = '#d0d4da';
dark.heatu = '#3a3f47';

/** theme returns the drawing colours for the current colour scheme. */
export function theme() {
  const isDark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  return {
    dark: isDark,
    cat: isDark ? dark : light,
    bg: isDark ? '#1b1e23' : '#ffffff',
    body: isDark ? '#262a31' : '#ffffff',
    text: isDark ? '#e6e6e6' : '#1a1a1a',
    headText: '#ffffff',
    muted: isDark ? '#a3a9b3' : '#555c66',
    border: isDark ? '#59606b' : '#8b939e',
    edge: isDark ? '#8a919c' : '#6b7280',
    frame: isDark ? '#3c4450' : '#c3cad4',
    frameFill: isDark ? 'rgba(80,100,130,0.10)' : 'rgba(80,110,150,0.06)',
    select: '#f0a020',
    hit: '#e0b000',
    changed: '#22c55e',
  };
}
