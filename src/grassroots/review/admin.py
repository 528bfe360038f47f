from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Conflict, Review, Score

admin.site.register(Conflict, ReadOnlyAdmin)
admin.site.register(Review, ReadOnlyAdmin)
admin.site.register(Score, ReadOnlyAdmin)
