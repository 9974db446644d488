"""XLMRobertaForQuestionAnswering: extractive QA, a start and an end score for every token.

The answer span is the tokens from the best start to the best end. For the loss, gold
positions are clamped to [0, seq]; a position of exactly ``seq`` (one past the end, where
out-of-context answers land) is ignored, and the loss is the mean of the start and end losses,
as in the reference.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..losses import cross_entropy
from ..modeling.model import XLMRobertaModel
from ..nn import Linear
from .base import XLMRobertaTaskModel, reference_tuple
from .labels import integer_labels
from .outputs import QuestionAnsweringModelOutput


class XLMRobertaForQuestionAnswering(XLMRobertaTaskModel):
    """Encoder (no pooler) -> qa_outputs Linear(hidden, 2) -> start and end logits."""

    optional_prefixes = ("qa_outputs.",)

    def __init__(self, config, seed: int = 0, _initialise: bool = True):
        super().__init__(config)
        if config.num_labels != 2:
            raise ConfigError(f"XLMRobertaForQuestionAnswering needs num_labels=2 (start and end "
                              f"scores), got num_labels={config.num_labels}")
        self.roberta = XLMRobertaModel(config, add_pooling_layer=False, _initialise=False)
        self.qa_outputs = Linear(config.hidden_size, config.num_labels)
        self.post_init(seed, initialise=_initialise)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                head_mask=None, inputs_embeds=None, start_positions=None, end_positions=None,
                output_attentions=None, output_hidden_states=None, return_dict=True):
        outputs = self.roberta(input_ids, attention_mask, token_type_ids, position_ids, head_mask,
                               inputs_embeds, output_attentions=output_attentions,
                               output_hidden_states=output_hidden_states)
        logits = self.qa_outputs(outputs.last_hidden_state)  # (batch, seq, 2)
        start_logits = logits[:, :, 0]  # (batch, seq)
        end_logits = logits[:, :, 1]  # (batch, seq)

        loss = None
        if start_positions is not None and end_positions is not None:
            xp = self.xp
            batch, seq = start_logits.shape
            losses = []
            for name, positions, scores in (("start_positions", start_positions, start_logits),
                                            ("end_positions", end_positions, end_logits)):
                # Any integer is accepted: positions outside the window are clamped, not rejected.
                positions = integer_labels(positions, name, self.backend, [(batch,), (batch, 1)],
                                           f"(batch,)=({batch},) token positions")
                positions = xp.clip(xp.reshape(positions, (-1,)), 0, seq)  # seq = ignored: the answer is not in this window
                losses.append(cross_entropy(scores, positions, ignore_index=seq, name=name))
            loss = (losses[0] + losses[1]) / 2

        output = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                              hidden_states=outputs.hidden_states, attentions=outputs.attentions)
        return output if return_dict else reference_tuple(loss, (start_logits, end_logits), outputs)
