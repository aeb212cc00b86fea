"""The one client of the prediction API (:mod:`apiclient.client`), used by the front-end, the
bad-buzz monitor's API scorer and CD's smoke check. It imports only ``pyfunc.names`` of the
project, and ``requests``."""
