import { soundnessSuite } from './soundness.js';

soundnessSuite('programs');
