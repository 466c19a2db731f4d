"""The engines behind ``golden.get_backend`` (``sc_<engine>``) and ``golden.get_neuron``
(``neuron_<engine>``), each imported only when selected, so ``import golden`` stays light."""

__all__: list[str] = []
