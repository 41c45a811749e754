/**
 * deltagraph/onnx: models in and out in ONNX, the exchange format of PyTorch, ONNX Runtime and
 * their converters. `exportOnnx(model)` writes a model's inference graph (opset 17) for ONNX
 * Runtime and the rest; `importOnnx(bytes)` rebuilds an ONNX model (opsets 13–21) as a deltagraph
 * Graph that predicts, trains and exports again. Imports no Node module: it runs in a page too.
 * See docs/interop.md.
 */
import '../backends/index.ts';

export { exportOnnx, ONNX_IR_VERSION, ONNX_OPSET, type ExportableModel, type ExportOptions, type ExportSpec } from './export.ts';
export { importOnnx, importedOperators, IMPORT_OPSETS, type ImportedModel, type ImportOptions } from './import.ts';
export { OnnxError, type OnnxErrorFacts } from './errors.ts';
export { decodeModel, type AttributeProto, type DimProto, type GraphProto, type ModelProto, type NodeProto, type OpsetProto, type TensorProto, type ValueInfoProto } from './proto.ts';
