import { soundnessSuite } from './soundness.js';

soundnessSuite('accept');
