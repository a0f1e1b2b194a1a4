package executorch

import "github.com/modelpeek/modelpeek/model"

// Field slots of ExecuTorch schema/program.fbs (pytorch/executorch); a
// union field takes two slots, its type byte first.
const (
	programVersion        = 0
	programPlans          = 1
	programConstantBuffer = 2
	programDelegateData   = 3
	programSegments       = 4
	programConstSegment   = 5
	programMutableData    = 6
	programNamedData      = 7

	planName      = 0
	planValues    = 2
	planInputs    = 3
	planOutputs   = 4
	planChains    = 5
	planOperators = 6
	planDelegates = 7

	evalueType = 0
	evalueVal  = 1

	tensorScalarType    = 0
	tensorStorageOffset = 1
	tensorSizes         = 2
	tensorDimOrder      = 3
	tensorDataBufferIdx = 5
	tensorAllocation    = 6
	tensorDynamism      = 8
	tensorExtraInfo     = 9

	extraMutableIdx = 0
	extraFQN        = 1
	extraLocation   = 2

	operatorName     = 0
	operatorOverload = 1

	callIndex = 0 // KernelCall.op_index, DelegateCall.delegate_index
	callArgs  = 1

	moveFrom = 0
	moveTo   = 1

	jumpCond = 0
	jumpDest = 1

	freeValue = 0

	instrType = 0
	instrArgs = 1

	chainInputs       = 0
	chainOutputs      = 1
	chainInstructions = 2
	chainStacktrace   = 3

	frameFile    = 0
	frameLine    = 1
	frameName    = 2
	frameContext = 3

	planContainer = 1
	containerIn   = 0
	containerOut  = 1

	delegateID          = 0
	delegateProcessed   = 1
	delegateCompileSpec = 2
	dataRefLocation     = 0
	dataRefIndex        = 1
	compileSpecKey      = 0

	bufferStorage = 0 // Buffer.storage, BackendDelegateInlineData.data

	segmentOffset = 0
	segmentSize   = 1

	subsegIndex   = 0
	subsegOffsets = 1

	namedKey     = 0
	namedSegment = 1

	bundledVersion = 0
	bundledSuites  = 1
	bundledProgram = 2
	suiteMethod    = 0
)

// KernelTypes union members (EValue.val_type).
const (
	kindNull               = 1
	kindInt                = 2
	kindBool               = 3
	kindDouble             = 4
	kindTensor             = 5
	kindString             = 6
	kindIntList            = 7
	kindDoubleList         = 8
	kindBoolList           = 9
	kindTensorList         = 10
	kindOptionalTensorList = 11
)

var kindNames = []string{"", "Null", "Int", "Bool", "Double", "Tensor", "String", "IntList", "DoubleList", "BoolList", "TensorList", "OptionalTensorList"}

func kindName(k uint8) string {
	if int(k) < len(kindNames) && k > 0 {
		return kindNames[k]
	}
	return "Unknown"
}

// InstructionArguments union members (Instruction.instr_args_type).
const (
	instrKernel    = 1
	instrDelegate  = 2
	instrMove      = 3
	instrJumpFalse = 4
	instrFree      = 5
)

// dataLocationSegment is DataLocation.SEGMENT; tensorExternal is
// TensorDataLocation.EXTERNAL.
const (
	dataLocationSegment = 1
	tensorExternal      = 1
)

// scalarTypes maps ScalarType (scalar_type.fbs) to numpy-style dtypes.
var scalarTypes = map[int8]model.DType{
	0: "uint8", 1: "int8", 2: "int16", 3: "int32", 4: "int64", 5: "float16",
	6: "float32", 7: "float64", 11: "bool", 12: "qint8", 13: "quint8",
	14: "qint32", 15: "bfloat16", 16: "quint4x2", 17: "quint2x4", 22: "bits16",
	23: "float8_e5m2", 24: "float8_e4m3fn", 25: "float8_e5m2fnuz",
	26: "float8_e4m3fnuz", 27: "uint16", 28: "uint32", 29: "uint64",
}

func scalarType(t int8) model.DType {
	if d, ok := scalarTypes[t]; ok {
		return d
	}
	return model.DType("scalar_type_" + itoa(int64(t)))
}
