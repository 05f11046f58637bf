"""Account URLs under /accounts/: sign in, sign out (POST only), change password.

The names are Django's own (``login``, ``logout``, ``password_change``, ``password_change_done``),
unnamespaced, so ``settings.LOGIN_URL = "login"`` and Django's auth views find them.
"""

from django.urls import path

from . import accounts

urlpatterns = [
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("logout/", accounts.SignOutView.as_view(), name="logout"),
    path("password/change/", accounts.ChangePasswordView.as_view(), name="password_change"),
    path("password/change/done/", accounts.PasswordChangedView.as_view(), name="password_change_done"),
]
