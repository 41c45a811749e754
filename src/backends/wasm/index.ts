/** Registers the wasm kernels (each family file registers its kernels when loaded). */
import './elementwise.ts';
import './fused.ts';
import './matmul-driver.ts';
import './conv.ts';
import './pool.ts';
