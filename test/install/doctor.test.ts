/**
 * `embedforge doctor` in this checkout: the local build is the binary chosen, with why and on which LibTorch, and
 * the Hugging Face cache the downloads use (lib/hub/hubEnvironment).
 */
import * as path from 'path';

import { doctorReport, formatDoctor } from '../../lib/cli/doctorCommand';
import { hubCacheDir } from '../../lib/hub/hubEnvironment';
import { describeIf, missing, repoRoot } from '../helpers/requirements';

describeIf(missing({ addon: true }), 'embedforge doctor in the checkout', () => {
  test('names Node, the PyTorch, the GPU, the local build chosen and why, and the cache', () => {
    const report = doctorReport();
    expect(report.addon.choice?.kind).toBe('local build');
    const text = formatDoctor(report);
    expect(text).toContain(`Node.js      ${process.version}`);
    expect(text).toMatch(/^PyTorch      \d+\.\d+\.\d+\S*, (CUDA \d+\.\d+|CPU), at \//m);
    expect(text).toMatch(/^GPU          \S/m);
    expect(text).toContain(`Binary       ${path.join(repoRoot, 'build', 'Release', 'embedforge.node')}`);
    expect(text).toMatch(/local build: a local build \(from source\) exists and comes first; runs on \/\S+\/lib \(its own rpath\); built for PyTorch \d+\.\d+/);
    expect(text).toContain(`HF cache     ${hubCacheDir()}`);
  });
});
