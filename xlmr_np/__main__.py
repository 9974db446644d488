"""``python -m xlmr_np``: a short demo on a small random-weight model built in memory.

It shows the two properties users ask about first: a padded batch gives each sentence the same
vectors as running it alone, and a model saved with ``save_pretrained`` loads back identically.
"""

import tempfile

from . import XLMRobertaConfig, XLMRobertaModel
from .backend import get_xp


def main():
    xp = get_xp("numpy")
    config = XLMRobertaConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                              intermediate_size=128, max_position_embeddings=66, type_vocab_size=1,
                              layer_norm_eps=1e-5)
    model = XLMRobertaModel(config, seed=0)
    print(f"XLMRobertaModel: {model.num_parameters():,} parameters, backend {model.backend}")
    sentences = [[0, 17, 45, 230, 9, 2], [0, 81, 2]]
    width = max(map(len, sentences))
    ids = xp.asarray([s + [config.pad_token_id] * (width - len(s)) for s in sentences])
    mask = xp.asarray([[1] * len(s) + [0] * (width - len(s)) for s in sentences])
    batch = model(ids, attention_mask=mask)
    print(f"padded batch {tuple(ids.shape)} -> last_hidden_state {tuple(batch.last_hidden_state.shape)}, "
          f"pooler_output {tuple(batch.pooler_output.shape)}")
    for row, sentence in enumerate(sentences):
        alone = model(xp.asarray([sentence])).last_hidden_state[0]
        difference = float(xp.max(xp.abs(alone - batch.last_hidden_state[row, :len(sentence)])))
        print(f"sentence {row}: batch vs alone, max |difference| = {difference:.2e}")
    with tempfile.TemporaryDirectory() as directory:
        model.save_pretrained(directory)
        again = XLMRobertaModel.from_pretrained(directory)(ids, attention_mask=mask).last_hidden_state
    print(f"save_pretrained -> from_pretrained, max |difference| = "
          f"{float(xp.max(xp.abs(again - batch.last_hidden_state))):.2e}")


if __name__ == "__main__":
    main()
