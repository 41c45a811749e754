/** Registers the js kernel of every built-in op (each family file registers its kernels when loaded). */
import './conv.ts';
import './elementwise.ts';
import './fused.ts';
import './matmul.ts';
import './movement.ts';
import './phase.ts';
import './random.ts';
import './reduce.ts';
import './softmax.ts';
