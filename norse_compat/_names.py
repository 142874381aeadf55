"""Where each Norse name comes from: the one table behind ``spikeplug.norse``.

* :data:`MODEL_NAMES`: names that are a builtin family's own classes, read from the
  registry (``(family, attribute)``: a :class:`~spikeplug.NeuronModel` attribute
  ``parameters``/``state``/``recurrent_state`` or a form of its module set).
* :data:`OBJECT_NAMES`: names that are a Python object elsewhere (``"module:attr"``):
  spikeplug's core and encoders, and the adapters of this package.
* :data:`SUBMODULES`: Norse's submodules (``functional.lif``, ``module.lif``...) and the
  names each one offers; ``spikeplug.norse.functional.lif`` etc. are made from it.
* :data:`TOP_LEVEL`: the names ``norse.torch`` itself exports (that spikeplug covers).
* :data:`NOT_PROVIDED`: Norse names spikeplug does not offer, each with the reason and
  what to use instead (the same rows as ``docs/norse.md``).
"""

from __future__ import annotations

MODEL_NAMES: dict[str, tuple[str, str]] = {}


def _family(family: str, names: dict[str, str]) -> None:
    for attribute, name in names.items():
        MODEL_NAMES[name] = (family, attribute)


_family("lif", {"parameters": "LIFParameters", "state": "LIFFeedForwardState", "recurrent_state": "LIFState",
                "cell": "LIFCell", "layer": "LIF", "recurrent_cell": "LIFRecurrentCell", "recurrent": "LIFRecurrent"})
_family("li", {"parameters": "LIParameters", "state": "LIState", "cell": "LICell", "layer": "LI",
               "linear_cell": "LILinearCell"})
_family("lif_box", {"parameters": "LIFBoxParameters", "state": "LIFBoxFeedForwardState",
                    "recurrent_state": "LIFBoxState", "cell": "LIFBoxCell", "layer": "LIFBox"})
_family("iaf", {"parameters": "IAFParameters", "state": "IAFFeedForwardState", "recurrent_state": "IAFState",
                "cell": "IAFCell", "layer": "IAF"})
_family("lsnn", {"parameters": "LSNNParameters", "state": "LSNNFeedForwardState", "recurrent_state": "LSNNState",
                 "cell": "LSNNCell", "layer": "LSNN", "recurrent_cell": "LSNNRecurrentCell",
                 "recurrent": "LSNNRecurrent"})
_family("coba_lif", {"parameters": "CobaLIFParameters", "state": "CobaLIFFeedForwardState",
                     "recurrent_state": "CobaLIFState", "recurrent_cell": "CobaLIFCell"})
_family("izhikevich", {"parameters": "IzhikevichParameters", "state": "IzhikevichState",
                       "recurrent_state": "IzhikevichRecurrentState"})
_family("lif_ex", {"parameters": "LIFExParameters", "state": "LIFExFeedForwardState", "recurrent_state": "LIFExState",
                   "cell": "LIFExCell", "layer": "LIFEx", "recurrent_cell": "LIFExRecurrentCell",
                   "recurrent": "LIFExRecurrent"})
_family("lif_adex", {"parameters": "LIFAdExParameters", "state": "LIFAdExFeedForwardState",
                     "recurrent_state": "LIFAdExState", "cell": "LIFAdExCell", "layer": "LIFAdEx",
                     "recurrent_cell": "LIFAdExRecurrentCell", "recurrent": "LIFAdExRecurrent"})
_family("lif_refrac", {"parameters": "LIFRefracParameters", "state": "LIFRefracFeedForwardState",
                       "recurrent_state": "LIFRefracState", "cell": "LIFRefracCell",
                       "recurrent_cell": "LIFRefracRecurrentCell", "recurrent": "LIFRefracRecurrent"})

_F = "spikeplug.norse._functional"
_STEPS = (
    "lif_feed_forward_step lif_step lif_feed_forward_integral lif_step_integral lif_current_encoder lif_feed_forward_step_sparse "
    "lif_step_sparse li_feed_forward_step li_step lif_box_feed_forward_step iaf_feed_forward_step iaf_step "
    "lif_ex_feed_forward_step lif_ex_step lif_ex_current_encoder lif_adex_feed_forward_step lif_adex_step "
    "lif_adex_current_encoder lsnn_feed_forward_step lsnn_step lif_refrac_feed_forward_step lif_refrac_step "
    "lif_mc_step coba_lif_feed_forward_step coba_lif_step izhikevich_feed_forward_step izhikevich_recurrent_step "
    "threshold sign heaviside super_fn triangle_fn heavi_tanh_fn heavi_circ_fn heavi_erfc_fn logistic_fn "
    "circ_dist_fn reset_value reset_subtract lift Lifted"
).split()
_IZ = "spikeplug.norse._izhikevich"
_ENC = "spikeplug.encoders_builtin"

OBJECT_NAMES: dict[str, str] = {
    **{name: f"{_F}:{name}" for name in _STEPS},
    "create_izhikevich_spiking_behavior": f"{_IZ}:create_izhikevich_spiking_behavior",
    "IzhikevichCell": f"{_IZ}:IzhikevichCell",
    "Izhikevich": f"{_IZ}:Izhikevich",
    "IzhikevichRecurrentCell": f"{_IZ}:IzhikevichRecurrentCell",
    "IzhikevichRecurrent": f"{_IZ}:IzhikevichRecurrent",
    "IzhikevichSpikingBehavior": "spikeplug.neurons_builtin.izhikevich:IzhikevichSpikingBehavior",
    "LIFMCRecurrentCell": "spikeplug.norse._modules:LIFMCRecurrentCell",
    "LIFMCRecurrent": "spikeplug.norse._modules:LIFMCRecurrent",
    "RecurrentSequential": "spikeplug.norse._modules:RecurrentSequential",
    "RecurrentSequentialState": "spikeplug.norse._modules:RecurrentSequentialState",
    "SequentialState": "spikeplug:SequentialState",
    "Lift": "spikeplug:Lift",
    "LConv2d": "spikeplug:LConv2d",
    "RegularizationCell": "spikeplug:RegularizationCell",
    "spike_accumulator": "spikeplug:spike_accumulator",
    "voltage_accumulator": "spikeplug:voltage_accumulator",
    "regularize_step": "spikeplug.regularization:regularize_step",
    "constant_current_lif_encode": f"{_ENC}.constant_current_lif:constant_current_lif_encode",
    "ConstantCurrentLIFEncoder": f"{_ENC}.constant_current_lif:ConstantCurrentLIFEncoder",
    "poisson_encode": f"{_ENC}.poisson:poisson_encode",
    "poisson_encode_step": f"{_ENC}.poisson:poisson_encode_step",
    "PoissonEncoder": f"{_ENC}.poisson:PoissonEncoder",
    "PoissonEncoderStep": f"{_ENC}.poisson:PoissonEncoderStep",
    "signed_poisson_encode": f"{_ENC}.signed_poisson:signed_poisson_encode",
    "signed_poisson_encode_step": f"{_ENC}.signed_poisson:signed_poisson_encode_step",
    "SignedPoissonEncoder": f"{_ENC}.signed_poisson:SignedPoissonEncoder",
    "SignedPoissonEncoderStep": f"{_ENC}.signed_poisson:SignedPoissonEncoderStep",
    "population_encode": f"{_ENC}.population:population_encode",
    "gaussian_rbf": f"{_ENC}.population:gaussian_rbf",
    "euclidean_distance": f"{_ENC}.population:euclidean_distance",
    "PopulationEncoder": f"{_ENC}.population:PopulationEncoder",
    "spike_latency_encode": f"{_ENC}.spike_latency:spike_latency_encode",
    "spike_latency_lif_encode": f"{_ENC}.spike_latency:spike_latency_lif_encode",
    "SpikeLatencyEncoder": f"{_ENC}.spike_latency:SpikeLatencyEncoder",
    "SpikeLatencyLIFEncoder": f"{_ENC}.spike_latency:SpikeLatencyLIFEncoder",
}

#: Norse's Izhikevich behaviours (``<name>`` a fresh ``(p, s)`` pair, ``<name>_p`` the parameters)
IZHIKEVICH_PRESETS = (
    "tonic_spiking", "phasic_spiking", "tonic_bursting", "phasic_bursting", "mixed_mode",
    "spike_frequency_adaptation", "class_1_exc", "class_2_exc", "spike_latency", "subthreshold_oscillation",
    "resonator", "integrator", "rebound_spike", "rebound_burst", "threshold_variability", "bistability", "dap",
    "accomodation", "inhibition_induced_spiking", "inhibition_induced_bursting",
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_LIF = _names("LIFParameters LIFState LIFFeedForwardState")
_LI = _names("LIParameters LIState")
_LIF_BOX = _names("LIFBoxParameters LIFBoxState LIFBoxFeedForwardState")
_IAF = _names("IAFParameters IAFState IAFFeedForwardState")
_LSNN = _names("LSNNParameters LSNNState LSNNFeedForwardState")
_COBA = _names("CobaLIFParameters CobaLIFState CobaLIFFeedForwardState")
_EX = _names("LIFExParameters LIFExState LIFExFeedForwardState")
_ADEX = _names("LIFAdExParameters LIFAdExState LIFAdExFeedForwardState")
_REFRAC = _names("LIFRefracParameters LIFRefracState LIFRefracFeedForwardState")
_IZH = (
    *_names("IzhikevichParameters IzhikevichState IzhikevichRecurrentState IzhikevichSpikingBehavior "
            "create_izhikevich_spiking_behavior"),
    *IZHIKEVICH_PRESETS,
    *(f"{n}_p" for n in IZHIKEVICH_PRESETS),
)
_ENCODE_F = _names(
    "constant_current_lif_encode poisson_encode poisson_encode_step signed_poisson_encode signed_poisson_encode_step "
    "population_encode gaussian_rbf euclidean_distance spike_latency_encode spike_latency_lif_encode"
)

SUBMODULES: dict[str, tuple[str, ...]] = {
    "functional.lif": (*_LIF, *_names("lif_step lif_feed_forward_step lif_feed_forward_integral lif_current_encoder "
                                      "lif_step_sparse lif_feed_forward_step_sparse lif_step_integral")),
    "functional.leaky_integrator": (*_LI, "li_step", "li_feed_forward_step"),
    "functional.lif_box": (*_LIF_BOX, "lif_box_feed_forward_step"),
    "functional.iaf": (*_IAF, "iaf_step", "iaf_feed_forward_step"),
    "functional.lsnn": (*_LSNN, "lsnn_step", "lsnn_feed_forward_step"),
    "functional.coba_lif": (*_COBA, "coba_lif_step", "coba_lif_feed_forward_step"),
    "functional.izhikevich": (*_IZH, "izhikevich_feed_forward_step", "izhikevich_recurrent_step"),
    "functional.lif_ex": (*_EX, "lif_ex_step", "lif_ex_feed_forward_step", "lif_ex_current_encoder"),
    "functional.lif_adex": (*_ADEX, "lif_adex_step", "lif_adex_feed_forward_step", "lif_adex_current_encoder"),
    "functional.lif_refrac": (*_REFRAC, "lif_refrac_step", "lif_refrac_feed_forward_step"),
    "functional.lif_mc": ("lif_mc_step",),
    "functional.threshold": _names("threshold sign heavi_erfc_fn heavi_tanh_fn heavi_circ_fn logistic_fn "
                                   "circ_dist_fn triangle_fn"),
    "functional.superspike": ("super_fn",),
    "functional.heaviside": ("heaviside",),
    "functional.lift": ("lift",),
    "functional.reset": ("reset_value", "reset_subtract"),
    "functional.regularization": ("spike_accumulator", "voltage_accumulator", "regularize_step"),
    "functional.encode": _ENCODE_F,
    "module.lif": (*_LIF, *_names("LIFCell LIF LIFRecurrentCell LIFRecurrent")),
    "module.leaky_integrator": (*_LI, *_names("LICell LI LILinearCell")),
    "module.lif_box": (*_LIF_BOX, "LIFBoxCell", "LIFBox"),
    "module.iaf": (*_IAF, "IAFCell", "IAF"),
    "module.lsnn": (*_LSNN, *_names("LSNNCell LSNN LSNNRecurrentCell LSNNRecurrent")),
    "module.coba_lif": (*_COBA, "CobaLIFCell"),
    "module.izhikevich": (*_IZH, *_names("IzhikevichCell Izhikevich IzhikevichRecurrentCell IzhikevichRecurrent")),
    "module.lif_ex": (*_EX, *_names("LIFExCell LIFEx LIFExRecurrentCell LIFExRecurrent")),
    "module.lif_adex": (*_ADEX, *_names("LIFAdExCell LIFAdEx LIFAdExRecurrentCell LIFAdExRecurrent")),
    "module.lif_refrac": (*_REFRAC, *_names("LIFRefracCell LIFRefracRecurrentCell LIFRefracRecurrent")),
    "module.lif_mc": (*_LIF, "LIFMCRecurrentCell", "LIFMCRecurrent"),
    "module.lift": ("Lift",),
    "module.sequential": ("SequentialState", "RecurrentSequential", "RecurrentSequentialState"),
    "module.regularization": ("RegularizationCell", "spike_accumulator", "voltage_accumulator"),
    "module.conv": ("LConv2d",),
    "module.encode": (*_ENCODE_F, *_names(
        "ConstantCurrentLIFEncoder PoissonEncoder PoissonEncoderStep PopulationEncoder SignedPoissonEncoder "
        "SignedPoissonEncoderStep SpikeLatencyEncoder SpikeLatencyLIFEncoder"
    )),
}

#: the names a package (``functional``, ``module``) offers flat: the union of its submodules'
PACKAGES = ("functional", "module")

#: ``norse.torch``'s own exports that spikeplug covers (Norse 1.1.0's ``__all__``, less NOT_PROVIDED)
TOP_LEVEL: tuple[str, ...] = _names(
    "CobaLIFCell CobaLIFFeedForwardState CobaLIFParameters CobaLIFState ConstantCurrentLIFEncoder IAF IAFCell "
    "IAFFeedForwardState IAFParameters IAFState Izhikevich IzhikevichCell IzhikevichParameters IzhikevichRecurrent "
    "IzhikevichRecurrentCell IzhikevichRecurrentState IzhikevichSpikingBehavior IzhikevichState LConv2d LI LICell "
    "LIF LIFAdEx LIFAdExCell LIFAdExFeedForwardState LIFAdExParameters LIFAdExRecurrent LIFAdExRecurrentCell "
    "LIFAdExState LIFBoxCell LIFBoxFeedForwardState LIFBoxParameters LIFBoxState LIFCell LIFEx LIFExCell "
    "LIFExFeedForwardState LIFExParameters LIFExRecurrent LIFExRecurrentCell LIFExState LIFFeedForwardState "
    "LIFMCRecurrentCell LIFParameters LIFRecurrent LIFRecurrentCell LIFRefracCell LIFRefracFeedForwardState "
    "LIFRefracParameters LIFRefracRecurrent LIFRefracRecurrentCell LIFRefracState LIFState LILinearCell "
    "LIParameters LIState LSNN LSNNCell LSNNFeedForwardState LSNNParameters LSNNRecurrent LSNNRecurrentCell "
    "LSNNState Lift PoissonEncoder PopulationEncoder RecurrentSequential RecurrentSequentialState "
    "RegularizationCell SequentialState SignedPoissonEncoder SpikeLatencyEncoder SpikeLatencyLIFEncoder "
    "circ_dist_fn coba_lif_feed_forward_step coba_lif_step constant_current_lif_encode "
    "create_izhikevich_spiking_behavior euclidean_distance gaussian_rbf heavi_circ_fn heavi_erfc_fn heavi_tanh_fn "
    "heaviside iaf_feed_forward_step iaf_step izhikevich_feed_forward_step izhikevich_recurrent_step "
    "li_feed_forward_step li_step lif_adex_current_encoder lif_adex_feed_forward_step lif_adex_step "
    "lif_box_feed_forward_step lif_current_encoder lif_ex_current_encoder lif_ex_feed_forward_step lif_ex_step "
    "lif_feed_forward_step lif_mc_step lif_refrac_feed_forward_step lif_refrac_step lif_step lift logistic_fn "
    "lsnn_feed_forward_step lsnn_step poisson_encode poisson_encode_step population_encode regularize_step "
    "reset_subtract reset_value signed_poisson_encode signed_poisson_encode_step spike_accumulator "
    "spike_latency_encode spike_latency_lif_encode super_fn triangle_fn voltage_accumulator"
) + IZHIKEVICH_PRESETS

_OUT_OF_SCOPE = "outside spikeplug's scope (no family or component implements it)"

#: Norse names spikeplug does not offer: the reason, and what to use instead
NOT_PROVIDED: dict[str, str] = {
    **{name: f"{_OUT_OF_SCOPE}: LI box neurons; LI with tau_syn_inv = 1/dt computes the same voltages (its "
             "synaptic current then lasts exactly one step)"
       for name in _names("LIBoxCell LIBox LIBoxParameters LIBoxState li_box_step li_box_feed_forward_step")},
    **{name: f"{_OUT_OF_SCOPE}: AdEx with refractoriness; use LIFAdEx* or LIFRefrac*"
       for name in _names("LIFAdExRefracCell LIFAdExRefracRecurrentCell LIFAdExRefracRecurrent "
                          "LIFAdExRefracParameters LIFAdExRefracState LIFAdExRefracFeedForwardState "
                          "lif_adex_refrac_step lif_adex_refrac_feed_forward_step")},
    **{name: f"{_OUT_OF_SCOPE}: multicompartment LIF with refractoriness; use LIFMCRecurrentCell"
       for name in _names("LIFMCRefracRecurrentCell lif_mc_refrac_step lif_mc_refrac_feed_forward_step")},
    "lif_mc_feed_forward_step": "spikeplug's multicompartment model couples after the LIF step, as Norse's "
                                "recurrent lif_mc_step; Norse's feed-forward variant couples before it and has no "
                                "counterpart. Use lif_mc_step with zero weights",
    "ada_lif_step": f"{_OUT_OF_SCOPE}: the adaptive-threshold variant of LSNN; use lsnn_step",
    **{name: f"{_OUT_OF_SCOPE}: adjoint (EventProp-style) gradients; spikeplug differentiates the step with "
             "autograd (method= picks the surrogate)"
       for name in _names("LIFFeedForwardAdjointFunction LIFFeedForwardSparseAdjointFunction "
                          "LIFAdjointRefracFeedForwardFunction LSNNFeedForwardAdjointFunction "
                          "lif_feed_forward_adjoint_step lif_feed_forward_adjoint_step_sparse "
                          "lif_refrac_feed_forward_adjoint_step lsnn_feed_forward_adjoint_step "
                          "lif_adjoint_step lif_adjoint_step_sparse lsnn_adjoint_step")},
    **{name: f"{_OUT_OF_SCOPE}: Norse's generic module bases; spikeplug generates its modules from a model "
             "description (spikeplug.build_modules)"
       for name in _names("SNNCell SNNRecurrentCell SNN SNNRecurrent")},
    "ResetMethod": "LIFBoxParameters.reset_method is a name in spikeplug ('value' or 'subtract'), not a function",
    **{name: f"{_OUT_OF_SCOPE}: filters, plasticity, correlation sensors, receptive fields, logic gates, decoders"
       for name in _names(
           "ExpFilter exp_filter_step SpikesToTimesDecoder ToSpikeTimes sum_decode logical_and logical_or "
           "logical_xor muller_c posedge_detector stdp_step_linear stdp_step_conv2d STDPState STDPParameters "
           "stdp_sensor_step STDPSensorParameters STDPSensorState stp_step TsodyksMakramParameters "
           "TsodyksMakramState correlation_sensor_step correlation_based_update CorrelationSensorParameters "
           "CorrelationSensorState LIFCorrelation LIFCorrelationParameters LIFCorrelationState lif_correlation_step "
           "SpatialReceptiveField2d SampledSpatialReceptiveField2d ParameterizedSpatialReceptiveField2d "
           "TemporalReceptiveField spatial_receptive_field spatial_receptive_fields_with_derivatives gaussian_kernel"
       )},
    **{name: f"{_OUT_OF_SCOPE}: Norse's model zoo (pretrained weights need the network)"
       for name in _names("ConvNet ConvNet4 VGG MobileNetV2 mobilenet_v2 vgg11 vgg11_bn vgg13 vgg13_bn vgg16 "
                          "vgg16_bn vgg19 vgg19_bn")},
    **{name: f"{_OUT_OF_SCOPE}: NIR interchange (planned as a per-plugin hook)" for name in ("to_nir", "from_nir")},
    "HAS_MATPLOTLIB": f"{_OUT_OF_SCOPE}: Norse's plotting utilities",
    "HAS_TENSORBOARD": f"{_OUT_OF_SCOPE}: Norse's tensorboard hooks",
}
