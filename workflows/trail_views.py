"""trail_views"""

urlpatterns = []
