export { compile, type CompileOptions } from './compile.ts';
export { defineOp, type CustomOpDef, type OpFunction } from './define-op.ts';
export { Device, type BackendName, type DeviceOptions, type DeviceRows } from './device.ts';
export type { GpuStepStats } from './gpu-steps.ts';
export { gradCheck, type GradCheckInput, type GradCheckOptions, type GradCheckResult } from './gradcheck.ts';
export type { Precision } from './memory.ts';
export { Program, type Feed, type Feeds, type PreparedRun } from './program.ts';
export type { PlanStats } from './plan.ts';
