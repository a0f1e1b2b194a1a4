package coreml

// layerKind is one entry of the NeuralNetworkLayer "layer" oneof.
type layerKind struct {
	name   string // the oneof field name: "innerProduct", "convolution"
	params string // the params message: "InnerProductLayerParams"
}

// fieldKind says how a params field is decoded.
type fieldKind uint8

const (
	kSkip    fieldKind = iota // not shown
	kFloat                    // float (fixed32)
	kDouble                   // double (fixed64)
	kInt                      // any varint integer
	kBool                     // bool
	kString                   // string
	kBytes                    // bytes (not shown)
	kEnum                     // enum value, shown as its number
	kWeights                  // a WeightParams: a tensor
	kNetwork                  // a NeuralNetwork: a subgraph
	kMessage                  // another params message, decoded by its own fields
)

// paramField describes one field of a NeuralNetwork.proto message.
type paramField struct {
	num      int32
	name     string
	kind     fieldKind
	repeated bool
	msg      string // the message type of kMessage fields
	oneof    string // the oneof the field belongs to, if any
}

// modelTypes maps the Model "Type" oneof field numbers (Model.proto) to
// their names.
var modelTypes = map[int32]string{
	200: "pipelineClassifier", 201: "pipelineRegressor", 202: "pipeline",
	300: "glmRegressor", 301: "supportVectorRegressor", 302: "treeEnsembleRegressor",
	303: "neuralNetworkRegressor", 304: "bayesianProbitRegressor",
	400: "glmClassifier", 401: "supportVectorClassifier", 402: "treeEnsembleClassifier",
	403: "neuralNetworkClassifier", 404: "kNearestNeighborsClassifier",
	500: "neuralNetwork", 501: "itemSimilarityRecommender", 502: "mlProgram",
	555: "customModel", 556: "linkedModel", 560: "classConfidenceThresholding",
	600: "oneHotEncoder", 601: "imputer", 602: "featureVectorizer", 603: "dictVectorizer",
	604: "scaler", 606: "categoricalMapping", 607: "normalizer", 609: "arrayFeatureExtractor",
	610: "nonMaximumSuppression", 900: "identity",
	2000: "textClassifier", 2001: "wordTagger", 2002: "visionFeaturePrint",
	2003: "soundAnalysisPreprocessing", 2004: "gazetteer", 2005: "wordEmbedding",
	2006: "audioFeaturePrint", 3000: "serializedModel",
}

// Model "Type" oneof numbers with a special structure.
const (
	typePipelineClassifier = 200
	typePipelineRegressor  = 201
	typePipeline           = 202
	typeTreeRegressor      = 302
	typeNNRegressor        = 303
	typeTreeClassifier     = 402
	typeNNClassifier       = 403
	typeNN                 = 500
	typeMLProgram          = 502
)

// classifierTypes hold their class labels in fields 100 (StringVector) and
// 101 (Int64Vector).
var classifierTypes = map[int32]bool{400: true, 401: true, 402: true, 403: true, 404: true}

// layerCategory is the viewer category of a layer kind.
func layerCategory(kind string) string {
	switch kind {
	case "convolution", "convolution3d", "innerProduct", "embedding", "embeddingND", "batchedMatmul":
		return "layer"
	case "activation", "softmax", "softmaxND", "gelu", "clampedReLU", "sigmoid":
		return "activation"
	case "batchnorm", "mvn", "l2normalize", "lrn", "layerNormalization":
		return "normalization"
	case "pooling", "pooling3d", "globalPooling3d":
		return "pooling"
	case "reshape", "flatten", "permute", "concat", "split", "slice", "transpose", "squeeze",
		"expandDims", "flattenTo2D", "reshapeLike", "reshapeStatic", "reshapeDynamic", "concatND", "splitND":
		return "shape"
	case "loop", "branch", "loopBreak", "loopContinue":
		return "control"
	case "custom":
		return "custom"
	case "loadConstant", "loadConstantND":
		return "constant"
	}
	return ""
}
