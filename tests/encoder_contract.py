"""The encoder tests' view of the encoder contract: the shared logic lives in the package
(:mod:`spikeplug.plugins.encoder_contract`, also used by ``check_encoder``)."""

from spikeplug.plugins.encoder_contract import (  # noqa: F401 - re-exported for the encoder tests
    SIZE_ARGUMENTS,
    bare,
    constructor_arguments,
    default_kwargs,
    encoder_names,
    expected_shape,
    input_name,
    takes_any_keyword,
)
