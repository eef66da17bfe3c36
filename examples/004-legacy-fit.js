#!/usr/bin/env node
/**
 * Tutorial 004 as it is written: InputExamples, a DataLoader, OnlineContrastiveLoss and the legacy
 * model.fit call, with an InformationRetrievalEvaluator every 10 steps and the best model saved to
 * output_path. Usage (after `npm run build` and `node examples/prepare-data.js`):
 *   node examples/004-legacy-fit.js MODEL_DIR [OUTPUT_DIR] [EPOCHS]
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { SentenceTransformer, InputExample, DataLoader, OnlineContrastiveLoss, InformationRetrievalEvaluator } = require('..');

async function main() {
  const [modelDir, outputPath = 'exp_finetune', epochsArg = '10'] = process.argv.slice(2);
  if (!modelDir) throw new Error('usage: node examples/004-legacy-fit.js MODEL_DIR [OUTPUT_DIR] [EPOCHS]');
  const model = await SentenceTransformer.load(modelDir);

  const rows = fs.readFileSync(path.join(__dirname, 'data', 'financial-contrastive-train.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const examples = rows.map((r) => new InputExample({ texts: [r.query, r.chunk], label: r.label }));
  const loader = new DataLoader(examples, { batchSize: 10 });
  const loss = new OnlineContrastiveLoss();

  const val = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'shared', 'data', 'llamaindex-10k-uber-lyft', 'val_dataset.json'), 'utf8'));
  const evaluator = new InformationRetrievalEvaluator({ queries: val.queries, corpus: val.corpus, relevantDocs: val.relevant_docs });

  const epochs = Number(epochsArg);
  const warmupSteps = Math.floor(Math.ceil(examples.length / loader.batchSize) * epochs * 0.1);
  console.log('before:', await evaluator.evaluate(model));
  await model.fit({
    trainObjectives: [[loader, loss]], epochs, warmupSteps, outputPath, showProgressBar: true, evaluator, evaluationSteps: 10,
  });
  console.log('after:', await evaluator.evaluate(model));
  console.log(`the best model is in ${outputPath}`);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
