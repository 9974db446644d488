# %% [markdown]
# # 06 · The heads: masked LM, classification, question answering
#
# The encoder gives one vector per token. A *head* turns those vectors into what a task needs:
# a score for every vocabulary entry at every position (masked language modelling, how XLM-R
# was pre-trained), a score per class for the whole sentence, or a start and an end score per
# token (extractive question answering). Each is a layer or two on top of
# `XLMRobertaModel`; the task models in `xlmr_np.heads` have transformers' names and outputs.

# %%
import pathlib

import numpy as np

import xlmr_np
from xlmr_np import XLMRobertaConfig, activations
from xlmr_np.heads import (XLMRobertaClassificationHead, XLMRobertaForMaskedLM,
                           XLMRobertaForQuestionAnswering, XLMRobertaForSequenceClassification,
                           XLMRobertaLMHead)
from xlmr_np.losses import cross_entropy, log_softmax
from xlmr_np.tokenization import XLMRobertaTokenizer
from tutorial_support import show_lines, show_source

tokenizer = XLMRobertaTokenizer.from_pretrained(pathlib.Path(xlmr_np.__file__).parent / "default_model")
sizes = dict(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
             intermediate_size=64, max_position_embeddings=66, type_vocab_size=1, layer_norm_eps=1e-5,
             initializer_range=0.2)   # random weights with more spread than XLM-R's 0.02, so that
                                      # different inputs visibly get different scores


def softmax(t):
    e = np.exp(t - t.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# %% [markdown]
# ## Masked language modelling
#
# The LM head is dense → GELU → LayerNorm → a projection to the vocabulary. That last matrix
# is not a parameter of its own: it **is** the word-embedding matrix (*tied* weights), so the
# score of token `v` is the dot product with the very vector that embeds `v`.

# %%
show_source(XLMRobertaLMHead.forward)

mlm = XLMRobertaForMaskedLM(XLMRobertaConfig(**sizes), seed=0)
print("decoder weight is the word embeddings:",
      mlm.lm_head.decoder.weight is mlm.roberta.embeddings.word_embeddings.weight)
assert mlm.lm_head.decoder.weight is mlm.roberta.embeddings.word_embeddings.weight

# %% [markdown]
# Mask a word, run the model, and read the scores at the masked position:

# %%
batch = tokenizer(["Das <mask> ist zu kurz."], return_tensors="np")
ids = batch["input_ids"]
where = int(np.flatnonzero(ids[0] == tokenizer.mask_token_id)[0])
out = mlm(ids, attention_mask=batch["attention_mask"], output_hidden_states=True)
print("tokens:", tokenizer.convert_ids_to_tokens(ids[0]))
print("logits", out.logits.shape, "(batch, seq, vocab); <mask> at position", where)

hidden = out.hidden_states[-1]                              # (batch, seq, hidden)
head = mlm.lm_head
x = activations.gelu(hidden @ head.dense.weight.T + head.dense.bias)
mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
x = (x - mean) / np.sqrt(var + head.layer_norm.eps) * head.layer_norm.weight + head.layer_norm.bias
logits = x @ mlm.roberta.embeddings.word_embeddings.weight.T + head.bias
print("by hand vs model: max |difference|", np.abs(logits - out.logits).max())
np.testing.assert_allclose(logits, out.logits, rtol=1e-4, atol=1e-5)

top = np.argsort(-out.logits[0, where])[:5]
print("top 5 at <mask>:", tokenizer.convert_ids_to_tokens(top.tolist()))

# %% [markdown]
# This model's weights are random, so its guesses are too; a trained checkpoint loaded with
# `XLMRobertaForMaskedLM.from_pretrained(path)` would rank the plausible words first.
#
# For training, `labels` holds the true id where a token was masked and -100 (ignored)
# elsewhere; the loss is the mean cross-entropy over the counted positions — the negative log
# of the softmax probability of the right token:

# %%
labels = np.full_like(ids, -100)
labels[0, where] = tokenizer.convert_tokens_to_ids("▁Passwort")
assert labels[0, where] != tokenizer.unk_token_id
out = mlm(ids, labels=labels)
by_hand = -np.log(softmax(out.logits[0, where])[labels[0, where]])
print(f"loss {float(out.loss):.4f}, by hand {by_hand:.4f}, uniform guess log(vocab) = "
      f"{np.log(len(tokenizer)):.4f}")
np.testing.assert_allclose(float(out.loss), by_hand, rtol=1e-5)
show_lines(cross_entropy, "counted = labels != ignore_index", "return (total / count)")

# %% [markdown]
# `log_softmax` is computed from the max-shifted log-sum-exp, never as `log(softmax(...))`,
# which would give `log(0) = -inf` for a very unlikely token:

# %%
show_source(log_softmax)

# %% [markdown]
# ## Sentence classification
#
# `XLMRobertaForSequenceClassification` has no pooler. Its head takes the `<s>` vector through
# dense → tanh → a projection to `num_labels` scores (dropout in between when training):

# %%
show_source(XLMRobertaClassificationHead.forward)

classifier = XLMRobertaForSequenceClassification(XLMRobertaConfig(**sizes, num_labels=3), seed=0)
batch = tokenizer(["Das Passwort ist zu kurz.", "Hello world!"], padding=True, return_tensors="np")
out = classifier(batch["input_ids"], attention_mask=batch["attention_mask"], output_hidden_states=True)
first = out.hidden_states[-1][:, 0]                        # (batch, hidden): the <s> vectors
head = classifier.classifier
by_hand = np.tanh(first @ head.dense.weight.T + head.dense.bias) @ head.out_proj.weight.T + head.out_proj.bias
print("logits", out.logits.shape, "\n", out.logits.round(4))
print("class probabilities\n", softmax(out.logits).round(3))
np.testing.assert_allclose(by_hand, out.logits, rtol=1e-4, atol=1e-6)

# %% [markdown]
# With integer `labels` the loss is cross-entropy; with `num_labels=1` it is a regression
# (mean squared error), and with float multi-hot labels a per-class sigmoid — the reference's
# `problem_type` rule:

# %%
out = classifier(batch["input_ids"], attention_mask=batch["attention_mask"], labels=np.array([2, 0]))
by_hand = -np.log(softmax(out.logits)[[0, 1], [2, 0]]).mean()
print(f"loss {float(out.loss):.4f}, by hand {by_hand:.4f}, problem_type = {classifier.config.problem_type}")
np.testing.assert_allclose(float(out.loss), by_hand, rtol=1e-5)

# %% [markdown]
# ## Question answering: spans
#
# Extractive QA marks the answer as a span of the context. The head is a single `Linear(hidden,
# 2)`: for every token a score for "the answer starts here" and one for "it ends here".

# %%
show_lines(XLMRobertaForQuestionAnswering.forward, "logits = self.qa_outputs", "end_logits = logits")

qa = XLMRobertaForQuestionAnswering(XLMRobertaConfig(**sizes, num_labels=2), seed=0)
question, context = "Was ist zu kurz?", "Das Passwort ist zu kurz."
batch = tokenizer(question, context, return_tensors="np")
ids = batch["input_ids"]
out = qa(ids, attention_mask=batch["attention_mask"], output_hidden_states=True)
scores = out.hidden_states[-1][0] @ qa.qa_outputs.weight.T + qa.qa_outputs.bias   # (seq, 2)
np.testing.assert_allclose(scores[:, 0], out.start_logits[0], rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(scores[:, 1], out.end_logits[0], rtol=1e-5, atol=1e-6)
print("start_logits", out.start_logits.shape, " end_logits", out.end_logits.shape)

# %% [markdown]
# The answer is the span `(i, j)` with the highest `start[i] + end[j]`, where `i <= j`, the span
# is not too long, and both ends lie in the context (after `<s> question </s></s>`):

# %%
tokens = tokenizer.convert_ids_to_tokens(ids[0])
context_start = ids[0].tolist().index(tokenizer.sep_token_id) + 2        # skip "</s></s>"
context_end = len(tokens) - 2                                             # before the last </s>
start, end = out.start_logits[0], out.end_logits[0]
best, best_score = None, -np.inf
for i in range(context_start, context_end + 1):
    for j in range(i, min(i + 8, context_end + 1)):                       # at most 8 tokens
        if start[i] + end[j] > best_score:
            best, best_score = (i, j), start[i] + end[j]
i, j = best
print("context tokens:", tokens[context_start:context_end + 1])
print(f"best span: tokens {i}..{j} = {tokenizer.decode(ids[0, i:j + 1])!r} (score {best_score:.3f})")
assert context_start <= i <= j <= context_end

# %% [markdown]
# (Again random weights, so a random span. With `start_positions` and `end_positions` the model
# returns the training loss: the mean of the start and the end cross-entropies.)

# %%
out = qa(ids, start_positions=np.array([i]), end_positions=np.array([j]))
by_hand = (-np.log(softmax(start)[i]) - np.log(softmax(end)[j])) / 2
print(f"loss {float(out.loss):.4f}, by hand {by_hand:.4f}")
np.testing.assert_allclose(float(out.loss), by_hand, rtol=1e-5)
